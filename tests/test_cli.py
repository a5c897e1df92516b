"""The command line's start-up shortcuts change nothing a user sees: help, errors, the collector."""

from __future__ import annotations

import gc

import pytest
from tests.conftest import AS_OF, EXAMPLES

from order_guard import arguments, cli


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_a_command_parsed_alone_has_the_help_and_defaults_it_has_among_all(command):
    alone = cli.build_parser(command)._subparsers._group_actions[0].choices[command]
    among_all = cli.build_parser()._subparsers._group_actions[0].choices[command]
    assert alone.format_help() == among_all.format_help()
    assert [(action.dest, action.default) for action in alone._actions] == \
           [(action.dest, action.default) for action in among_all._actions]


def test_the_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert all(command in out for command in cli.COMMANDS)


def test_the_help_width_is_the_one_argparse_would_take(monkeypatch):
    import argparse

    monkeypatch.setenv("COLUMNS", "61")
    ours = cli.build_parser().format_help()
    monkeypatch.setattr(arguments, "_ArgumentParser", argparse.ArgumentParser)
    assert ours == cli.build_parser().format_help()


@pytest.mark.parametrize("args", [["check", str(EXAMPLES), "--as-of", AS_OF, "-q"], ["check", "--help"],
                                  ["check", "--fail-on", "nonsense"], ["check", "/no/such/file"]])
def test_a_run_hands_the_garbage_collector_back_as_it_found_it(args, capsys):
    assert gc.isenabled() and not gc.get_freeze_count()
    try:
        cli.main(args)
    except SystemExit:
        pass
    assert gc.isenabled() and not gc.get_freeze_count()
    gc.disable()
    try:
        try:
            cli.main(args)
        except SystemExit:
            pass
        assert not gc.isenabled() and not gc.get_freeze_count()
    finally:
        gc.enable()


def test_the_program_s_own_run_leaves_its_objects_frozen_for_the_exit(monkeypatch, capsys):
    """The program's run (``cli.run``) ends the process next; main() without argv, a caller's
    program on the process's command line, gets the collector back as it found it."""
    monkeypatch.setattr("sys.argv", ["order-guard", "check", str(EXAMPLES), "--as-of", AS_OF, "-q"])
    assert cli.main() == 1
    assert gc.isenabled() and not gc.get_freeze_count()
    try:
        assert cli._run(None, program=True) == 1
        assert gc.isenabled() and gc.get_freeze_count()
    finally:
        gc.unfreeze()
