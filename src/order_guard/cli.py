"""``order-guard``: the command line (a contract: see DESIGN.md, section 4).

Imports stay light here; each command imports what it needs when it runs,
so a warehouse gate starts fast.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
from collections.abc import Sequence
from types import SimpleNamespace

from order_guard import __version__
from order_guard.errors import ExitCode, OrderGuardError, RuleFileError
from order_guard.secrets import configure_logging, scrub


def _define_parser_classes() -> None:
    """argparse and the parser's classes, made when a parser is first built: a gate's plain
    ``check`` is read without them (:func:`_plain_check`; argparse imports gettext)."""
    global argparse, _HelpFormatter, _ArgumentParser
    if "_ArgumentParser" in globals():
        return
    import argparse

    class _HelpFormatter(argparse.HelpFormatter):
        """argparse's help layout, at the width ``shutil.get_terminal_size`` gives, without importing
        shutil (and its compression modules): argparse makes a formatter for every argument added."""

        def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                     width: int | None = None):
            super().__init__(prog, indent_increment, max_help_position,
                             _terminal_columns() - 2 if width is None else width)

    class _ArgumentParser(argparse.ArgumentParser):
        """argparse's parser with :class:`_HelpFormatter` (subcommands' parsers are of this class too)."""

        def __init__(self, *args, **kwargs) -> None:
            kwargs.setdefault("formatter_class", _HelpFormatter)
            super().__init__(*args, **kwargs)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``command`` (one of :data:`COMMANDS`), only that command's
    part of it: a gate run does not build the parsers of the commands it does not run."""
    _define_parser_classes()
    parser = _ArgumentParser(
        prog="order-guard",
        description="Check Amazon order data against compliance rules (the Amazon Pending pack by default).",
        epilog="Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or rule error, "
               "3 data could not be read completely. Anything but 0 means: do not ship.",
    )
    parser.add_argument("--version", action="version", version=f"order-guard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, add in COMMANDS.items():
        if command is None or command == name:
            add(commands)
    return parser


def _with_plugin_flags(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("-p", dest="plugins", action="append", default=[], metavar="NAME",
                        help="load plugin module NAME; -p no:NAME disables plugin NAME")
    return parser


def _add_check(commands) -> None:
    # Here, not at import: the rule modules load after cli.main has turned the collector off.
    from order_guard.rulelang.schema import SEVERITIES

    check = _with_plugin_flags(commands.add_parser("check", help="check datasets against rule packs"))
    check.add_argument("paths", nargs="*", metavar="PATH", help="data files or directories (kind detected)")
    check.add_argument("--dataset", action="append", default=[], metavar="KIND=SOURCE",
                       help="a dataset of a given kind: orders, order-report, unshipped-report, shipments, inventory")
    check.add_argument("--rules", action="append", default=[], metavar="PATH", help="rule pack file or directory")
    check.add_argument("--format", help="table (default), json, or a plugin's format")
    check.add_argument("--output", action="append", default=[], metavar="[FORMAT=]PATH",
                       help="also write the report to PATH (repeatable)")
    check.add_argument("--fail-on", choices=(*SEVERITIES, "none"),
                       help="lowest severity that fails the run (default high)")
    check.add_argument("--as-of", metavar="ISO-8601", help="the time rules measure ages against (default now)")
    check.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                       help="read a large tab-separated orders file in N processes (same report; default 1)")
    check.add_argument("--config", metavar="FILE", help="configuration file (default ./order-guard.yaml)")
    check.add_argument("--encoding", help="text encoding of the data files (default: detected)")
    check.add_argument("--show-buyer-data", action="store_true", help="show buyer names, addresses, e-mails, phones")
    check.add_argument("--waivers", metavar="FILE", help="waivers file: audited, expiring exceptions")
    check.add_argument("--fail-on-stale-waivers", action="store_true", help="exit 1 when a waiver matched nothing")
    check.add_argument("--baseline", metavar="FILE", help="fail only on findings not in this baseline")
    check.add_argument("--write-baseline", metavar="FILE", help="record the current findings as the baseline")
    check.add_argument("--evidence", metavar="DIR",
                       help="write an evidence bundle of the run (see: order-guard verify)")
    check.add_argument("--explain", action="store_true",
                       help="print on stderr, per rule and dataset, whether it ran in the database (and the SQL)")
    check.add_argument("--engine", choices=("auto", "duckdb", "streaming"), default="auto",
                       help="check the orders with DuckDB (order-guard[duckdb]) or in Python; "
                            "auto (default): DuckDB for a large orders file, where installed")
    check.add_argument("-q", "--quiet", action="store_true", help="do not print detected datasets on stderr")


#: ``check``'s options as :func:`_plain_check` reads them: option -> (dest, how: "flag", "value" or
#: "append"), with the defaults its parser gives. tests/test_cli_plain_check.py holds both to the parser.
_CHECK_OPTIONS = {
    "-p": ("plugins", "append"), "--dataset": ("dataset", "append"), "--rules": ("rules", "append"),
    "--format": ("format", "value"), "--output": ("output", "append"), "--fail-on": ("fail_on", "value"),
    "--as-of": ("as_of", "value"), "--jobs": ("jobs", "value"), "--config": ("config", "value"),
    "--encoding": ("encoding", "value"), "--show-buyer-data": ("show_buyer_data", "flag"),
    "--waivers": ("waivers", "value"), "--fail-on-stale-waivers": ("fail_on_stale_waivers", "flag"),
    "--baseline": ("baseline", "value"), "--write-baseline": ("write_baseline", "value"),
    "--evidence": ("evidence", "value"), "--explain": ("explain", "flag"), "--engine": ("engine", "value"),
    "-q": ("quiet", "flag"), "--quiet": ("quiet", "flag"),
}
_CHECK_DEFAULTS = {"format": None, "fail_on": None, "as_of": None, "jobs": 1, "config": None, "encoding": None,
                   "show_buyer_data": False, "waivers": None, "fail_on_stale_waivers": False, "baseline": None,
                   "write_baseline": None, "evidence": None, "explain": False, "engine": "auto", "quiet": False}


def _plain_check(arguments: Sequence[str]) -> SimpleNamespace | None:
    """``check`` with whole option names, each value its own argument, and the paths together
    (``check orders.json ship.txt -q``, as a gate calls it), read as its parser reads it, without
    building the parser (argparse's translations and the parser: ~2.5 ms of a 60 ms gate).
    None for anything else (help, an error, an abbreviation, ``--name=value``, ``--``, a value or
    path starting with ``-``): the parser reads that, and says what is wrong."""
    if not arguments or arguments[0] != "check":
        return None
    from order_guard.rulelang.schema import SEVERITIES  # as _add_check does, for --fail-on

    values: dict[str, object] = {"command": "check", "plugins": [], "paths": [], "dataset": [], "rules": [],
                                 "output": [], **_CHECK_DEFAULTS}
    paths_seen = index = 0  # paths_seen: 0 before the paths, 1 among them, 2 after them
    while (index := index + 1) < len(arguments):
        argument = arguments[index]
        if not argument.startswith("-"):
            if paths_seen == 2:
                return None  # paths on both sides of an option: the parser's error
            paths_seen = 1
            values["paths"].append(argument)
            continue
        paths_seen = 2 if paths_seen else 0
        dest, how = _CHECK_OPTIONS.get(argument, (None, None))
        if how == "flag":
            values[dest] = True
            continue
        if dest is None or index + 1 == len(arguments) or arguments[index + 1].startswith("-"):
            return None
        index += 1
        value = arguments[index]
        if how == "append":
            values[dest].append(value)
        elif dest == "jobs":
            if not value.isdecimal() or int(value) < 1:  # (not isdigit: int("²") fails)
                return None
            values[dest] = int(value)
        elif dest == "fail_on" and value not in (*SEVERITIES, "none") or \
                dest == "engine" and value not in ("auto", "duckdb", "streaming"):
            return None
        else:
            values[dest] = value
    return SimpleNamespace(**values)  # what argparse.Namespace holds, without importing argparse


def _add_rules(commands) -> None:
    rules = commands.add_parser("rules", help="list, show and validate rules")
    rule_commands = rules.add_subparsers(dest="rules_command", required=True, metavar="SUBCOMMAND")
    for name, text in (("list", "list the rules"), ("show", "show one rule"),
                       ("validate", "validate rule files"), ("schema", "print the rule-file JSON Schema"),
                       ("test", "run every rule's examples and the *.cases.yaml files beside the packs"),
                       ("docs", "write the rule reference as Markdown")):
        sub = _with_plugin_flags(rule_commands.add_parser(name, help=text))
        if name == "show":
            sub.add_argument("rule", metavar="ID", help="rule id or name")
        if name in ("list", "show", "docs"):
            sub.add_argument("--rules", action="append", default=[], metavar="PATH")
        if name == "validate":
            sub.add_argument("paths", nargs="+", metavar="PATH")
        if name == "test":
            sub.add_argument("paths", nargs="*", metavar="PATH",
                             help="packs, folders or case files (default: installed packs)")
        if name == "docs":
            sub.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")


def _add_waivers(commands) -> None:
    waivers = commands.add_parser("waivers", help="validate waiver files")
    waiver_commands = waivers.add_subparsers(dest="waivers_command", required=True, metavar="SUBCOMMAND")
    waiver_validate = waiver_commands.add_parser("validate", help="validate waiver files (exit 2 on any error)")
    waiver_validate.add_argument("paths", nargs="+", metavar="FILE")
    waiver_validate.add_argument("--rules", action="append", default=[], metavar="PATH",
                                 help="the packs the waivers refer to (default: the installed packs)")


def _add_verify(commands) -> None:
    verify = _with_plugin_flags(commands.add_parser(
        "verify", help="re-run a check from an evidence bundle and compare the result"))
    verify.add_argument("bundle", metavar="DIR", help="folder written by check --evidence")


def _add_plugins(commands) -> None:
    _with_plugin_flags(commands.add_parser("plugins", help="list loaded plugins and what they provide"))


#: The commands, in the order ``--help`` lists them: name -> adds its parser to the subcommands.
COMMANDS = {"check": _add_check, "rules": _add_rules, "waivers": _add_waivers, "verify": _add_verify,
            "plugins": _add_plugins}


class _Terminated(BaseException):
    """SIGTERM, raised where the program is, so that no half-made report is written."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``order-guard ARGV...`` (``sys.argv[1:]`` when None: the process's own command line)."""
    # A run starts by building thousands of objects that live as long as it does (modules,
    # parsers, plugins, rules): the garbage collector finds nothing among them, yet walks them
    # again and again while records are read, and once more as the process exits. So it waits
    # until the command is imported and then no longer sees what exists (gc.freeze). A library
    # call (with ``argv``) gets it all handed back when the run ends; the program's own run
    # ends with the process, whose last collection has then nothing to walk (~6 ms of a gate).
    collecting = gc.isenabled()
    gc.disable()
    try:
        code = _main(argv, collecting)
    finally:
        if argv is not None:
            gc.unfreeze()
        if collecting:
            gc.enable()
    if argv is None:
        _end_the_program(code)
    return code


def _end_the_program(code: int) -> None:
    """Where this run is the program's (its script's ``sys.exit(main())`` would end the process
    next), end the process now with ``code``. The interpreter's own ending frees every module,
    function and class one by one (~3 ms of a 60 ms gate), memory the system takes back at once.
    It returns, and the interpreter ends the usual way, wherever that ending has more to do:
    another caller of ``main``, a callback registered with atexit (coverage, logging, a
    plugin's), another thread, an interactive prompt to follow (``-i``), development mode's
    warnings, or standard output or error that cannot be flushed (the usual ending reports it)."""
    if getattr(sys.modules.get("__main__"), "main", None) is not main:
        return
    if sys.flags.inspect or os.environ.get("PYTHONINSPECT") or sys.flags.dev_mode:
        return
    callbacks = getattr(atexit, "_ncallbacks", None)
    threading = sys.modules.get("threading")
    if callbacks is None or callbacks() or (threading is not None and threading.active_count() > 1):
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


def _main(argv: Sequence[str] | None, collecting: bool) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = _plain_check(arguments)
    if args is None:
        command = arguments[0] if arguments and arguments[0] in COMMANDS else None
        args = build_parser(command).parse_args(arguments)
    configure_logging()
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (a library caller's worker): leave signals to the caller
        previous = None
    try:
        if args.command == "check":
            from order_guard.commands.check import run
        elif args.command == "rules":
            from order_guard.commands.rules import run
        elif args.command == "waivers":
            from order_guard.commands.waivers import run
        elif args.command == "verify":
            from order_guard.commands.verify import run
        else:
            from order_guard.commands.plugins import run
        gc.freeze()
        if collecting:
            gc.enable()
        return int(run(args))
    except RuleFileError as err:
        for problem in err.problems:
            print(f"order-guard: {problem}", file=sys.stderr)
        return int(err.exit_code)
    except OrderGuardError as err:
        print(f"order-guard: error: {scrub(str(err))}", file=sys.stderr)
        return int(err.exit_code)
    except BrokenPipeError:
        # The reader went away (`| head`): the report was not delivered whole.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("order-guard: standard output was closed; no report is complete", file=sys.stderr)
        return int(ExitCode.INCOMPLETE)
    except KeyboardInterrupt:
        print("order-guard: interrupted; no report is complete", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except _Terminated:
        print("order-guard: terminated; no report is complete", file=sys.stderr)
        return int(ExitCode.TERMINATED)
    except Exception:  # a bug: show it, and never let it pass for "findings" or "clean"
        import traceback

        sys.stderr.write(scrub(traceback.format_exc()))
        print("order-guard: internal error (a bug; please report it): nothing was proved clean", file=sys.stderr)
        return int(ExitCode.INCOMPLETE)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (1 or more)")
    return int(value)
