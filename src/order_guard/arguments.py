"""The command line's arguments: argparse's parser, built one command at a time, and a plain
``check`` read without it (a contract: see DESIGN.md, section 4).

A warehouse gate calls ``order-guard check FILE... -q`` once per parcel, so that command line is
read from a table of check's options (:func:`plain_check`, held to the parser option by option
by ``tests/test_cli_plain_check.py``); argparse, with its translations, is imported only to read
anything else or to say what is wrong.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from types import SimpleNamespace

from order_guard import __version__


def _define_parser_classes() -> None:
    """argparse and the parser's classes, made when a parser is first built: a gate's plain
    ``check`` is read without them (:func:`plain_check`; argparse imports gettext)."""
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


def _choices() -> dict[str, tuple[str, ...]]:
    """The values ``--fail-on`` and ``--engine`` take, by destination. Imported here, not at import:
    the rule modules load after cli.main has turned the collector off."""
    from order_guard.bulk.choice import ENGINES
    from order_guard.rulelang.schema import SEVERITIES

    return {"fail_on": (*SEVERITIES, "none"), "engine": ENGINES}


def _processes(value: str) -> int | None:
    """``--jobs``' value, or None where it is not a number of processes (not isdigit: int("²") fails)."""
    return int(value) if value.isdecimal() and int(value) >= 1 else None


def _add_check(commands) -> None:
    choices = _choices()
    check = _with_plugin_flags(commands.add_parser("check", help="check datasets against rule packs"))
    check.add_argument("paths", nargs="*", metavar="PATH", help="data files or directories (kind detected)")
    check.add_argument("--dataset", action="append", default=[], metavar="KIND=SOURCE",
                       help="a dataset of a given kind: orders, order-report, unshipped-report, shipments, inventory")
    check.add_argument("--rules", action="append", default=[], metavar="PATH", help="rule pack file or directory")
    check.add_argument("--format", help="table (default), json, or a plugin's format")
    check.add_argument("--output", action="append", default=[], metavar="[FORMAT=]PATH",
                       help="also write the report to PATH (repeatable)")
    check.add_argument("--fail-on", choices=choices["fail_on"],
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
    check.add_argument("--engine", choices=choices["engine"], default="auto",
                       help="check the orders with DuckDB (order-guard[duckdb]) or in Python; "
                            "auto (default): DuckDB for a large orders file, where installed")
    check.add_argument("-q", "--quiet", action="store_true", help="do not print detected datasets on stderr")


#: ``check``'s options as :func:`plain_check` reads them: option -> (dest, how: "flag", "value" or
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


def plain_check(arguments: Sequence[str]) -> SimpleNamespace | None:
    """``check`` with whole option names, each value its own argument, and the paths together
    (``check orders.json ship.txt -q``, as a gate calls it), read as its parser reads it, without
    building the parser (argparse's translations and the parser: ~2.5 ms of a 60 ms gate).
    None for anything else (help, an error, an abbreviation, ``--name=value``, ``--``, a value or
    path starting with ``-``): the parser reads that, and says what is wrong."""
    if not arguments or arguments[0] != "check":
        return None
    choices = _choices()
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
            if (processes := _processes(value)) is None:
                return None
            values[dest] = processes
        elif dest in choices and value not in choices[dest]:
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


def _jobs(value: str) -> int:
    processes = _processes(value)
    if processes is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (1 or more)")
    return processes
