"""A plain ``check`` command line read without argparse (``order_guard.arguments.plain_check``) is read exactly as
the parser reads it; anything else is left to the parser."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from order_guard import arguments as cli_arguments
from order_guard import cli


def _parser_reads(arguments: list[str]) -> dict | None:
    """What the check parser makes of ``arguments``, or None where it refuses them."""
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return vars(cli.build_parser("check").parse_args(arguments))
    except SystemExit:
        return None


def _check_parser() -> argparse.ArgumentParser:
    return cli.build_parser("check")._subparsers._group_actions[0].choices["check"]


def test_every_option_of_check_is_known_with_its_default():
    for action in _check_parser()._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        how = {argparse._StoreTrueAction: "flag", argparse._AppendAction: "append",
               argparse._StoreAction: "value"}[type(action)]
        for option in action.option_strings:
            assert cli_arguments._CHECK_OPTIONS[option] == (action.dest, how)
        assert cli_arguments._CHECK_DEFAULTS.get(action.dest, []) == action.default
    options = {option for action in _check_parser()._actions for option in action.option_strings}
    assert set(cli_arguments._CHECK_OPTIONS) <= options


@pytest.mark.parametrize("arguments", [
    ["check", "orders1000.json", "ship1.txt", "-q"],
    ["check", "-q", "orders.json", "ship.txt"],
    ["check"],
    ["check", "--dataset", "orders=a.json", "--dataset", "shipments=b.txt", "--as-of", "2026-11-26T12:00:00Z"],
    ["check", "a", "--fail-on", "critical", "--engine", "streaming", "--jobs", "2", "-p", "no:html_reporter",
     "--format", "json", "--output", "json=r.json", "--rules", "r.yaml", "--config", "c.yaml",
     "--encoding", "cp1252", "--show-buyer-data", "--waivers", "w.yaml", "--fail-on-stale-waivers",
     "--baseline", "b.json", "--write-baseline", "b2.json", "--evidence", "e", "--explain", "--quiet"],
    ["check", "--format", "table", "--format", "json", "x"],
    ["check", "", "--config", ""],
])
def test_a_plain_check_is_read_as_the_parser_reads_it(arguments):
    plain = cli_arguments.plain_check(arguments)
    assert plain is not None
    assert vars(plain) == _parser_reads(arguments)


@pytest.mark.parametrize("arguments", [
    ["check", "--help"], ["check", "-h"], ["check", "a", "-q", "b"], ["check", "--fail-on", "nonsense"],
    ["check", "--engine", "fast"], ["check", "--jobs", "0"], ["check", "--jobs", "x"], ["check", "--jobs", "²"], ["check", "--form", "json"],
    ["check", "--as-of=2026-11-26"], ["check", "--", "-a"], ["check", "--config"], ["check", "--config", "-q"],
    ["check", "-qq"], ["check", "-pfoo"], ["check", "--quiet=1"], ["rules", "list"], [], ["--version"],
])
def test_anything_else_is_left_to_the_parser(arguments):
    assert cli_arguments.plain_check(arguments) is None


_TOKENS = st.sampled_from([
    "a.json", "b.txt", "", "-", "-x", "-1", "--", "-q", "--quiet", "--explain", "--show-buyer-data", "-p", "no:x",
    "--dataset", "orders=o.json", "--rules", "--format", "json", "--output", "--fail-on", "high", "none", "low",
    "--as-of", "2026-11-26", "--jobs", "1", "3", "0", "²", "٣", "--config", "--engine", "auto", "duckdb", "--evidence",
    "--baseline", "--write-baseline", "--waivers", "--encoding", "--fail-on-stale-waivers", "--fail", "--q",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, max_size=8))
def test_whatever_it_reads_the_parser_reads_alike(tokens):
    arguments = ["check", *tokens]
    plain = cli_arguments.plain_check(arguments)
    if plain is not None:
        assert vars(plain) == _parser_reads(arguments)


@pytest.mark.parametrize("value", ["0", "x", "²", "-1"])
def test_a_jobs_value_that_is_no_number_of_processes_is_named_as_such(value, capsys):
    with pytest.raises(SystemExit) as stop:
        cli_arguments.build_parser().parse_args(["check", "--jobs", value, "a.txt"])
    assert stop.value.code == 2
    assert f"argument --jobs: {value!r} is not a number of processes (1 or more)" in capsys.readouterr().err
