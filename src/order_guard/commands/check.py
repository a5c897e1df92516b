"""``order-guard check``: read the datasets, run the rules, write the report, exit with the verdict."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from order_guard.baseline import baseline_document
from order_guard.canonical import parse_datetime
from order_guard.checking import CheckRequest, load_registry, run_check
from order_guard.config import load_config
from order_guard.datasets import Dataset, DatasetRequest
from order_guard.errors import OutputError, UsageError
from order_guard.manager import split_plugin_flags
from order_guard.report import RenderOptions
from order_guard.sanitize import safe_text
from order_guard.secrets import scrub

if TYPE_CHECKING:
    import argparse

_SUFFIX_FORMATS = {".json": "json", ".txt": "table", ".xml": "junit", ".sarif": "sarif", ".md": "markdown",
                   ".html": "html"}


def run(args: argparse.Namespace) -> int:
    config = load_config(Path(args.config) if args.config else None, Path.cwd())
    encoding = args.encoding or config.encoding
    requests = [DatasetRequest(path, None, encoding) for path in args.paths]
    requests += [_dataset_flag(value, encoding) for value in args.dataset]
    if not requests:
        requests = [DatasetRequest(entry["source"], entry.get("kind"), entry.get("encoding") or encoding)
                    for entry in config.datasets]
    enabled, disabled = split_plugin_flags(args.plugins)
    fail_on = args.fail_on or config.fail_on or "high"
    request = CheckRequest(
        datasets=requests,
        rules=[Path(path) for path in args.rules] or config.rules,
        as_of=_as_of(args.as_of),
        show_buyer_data=args.show_buyer_data,
        plugins=enabled,
        disabled_plugins=disabled,
        on_dataset=(lambda dataset: None) if args.quiet else _announce,
        on_explain=_explain if args.explain else None,
        waivers=Path(args.waivers) if args.waivers else config.waivers,
        baseline=Path(args.baseline) if args.baseline else None,
        jobs=args.jobs,
        engine=args.engine,
    )
    outputs = [_output_flag(value) for value in args.output]
    registry = load_registry(enabled, disabled)
    registry.settings["sql"] = config.sql
    reporters = registry.reporters
    main_format = args.format or config.format or "table"
    for name, _path in [(main_format, None), *outputs]:
        if name not in reporters:
            raise UsageError(f"unknown format {name!r}; formats: {', '.join(sorted(reporters))}")
    report, packs = run_check(request, registry)
    options = RenderOptions(fail_on=fail_on, fail_on_stale_waivers=args.fail_on_stale_waivers)
    for name, path in outputs:
        write_atomically(Path(path), lambda out, render=reporters[name].render: render(report, out, options))
    if args.write_baseline:
        document = baseline_document(list(zip(report.raw_subjects, report.findings, strict=True)), report.data["as_of"])
        write_atomically(Path(args.write_baseline), lambda out: out.write(json.dumps(document, indent=2) + "\n"))
    if args.evidence:
        from order_guard.evidence import RunRecord, write_bundle

        record = RunRecord(command=["order-guard", *sys.argv[1:]], options=options,
                           show_buyer_data=args.show_buyer_data, plugins=list(args.plugins),
                           encodings=_input_encodings(report, requests), waivers=request.waivers,
                           baseline=request.baseline)
        write_bundle(Path(args.evidence), report, packs, registry, record)
    try:
        reporters[main_format].render(report, sys.stdout, options)
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # the reader went away: cli.main says so
    except OSError as err:
        raise OutputError(f"cannot write the report to standard output: {err.strerror or err}") from None
    return report.verdict(options)


def _input_encodings(report, requests: list[DatasetRequest]) -> list[str | None]:
    """The encoding the user forced for each input (a directory's files share their request's)."""
    forced = {request.location: request.encoding for request in requests}
    out = []
    for location in report.input_locations:
        match = next((encoding for requested, encoding in forced.items()
                      if location == requested or location.startswith(requested.rstrip("/") + "/")), None)
        out.append(match)
    return out


def _dataset_flag(value: str, encoding: str | None) -> DatasetRequest:
    kind, sep, source = value.partition("=")
    if not sep or not kind or not source:
        raise UsageError(f"--dataset {value!r}: expected KIND=SOURCE, e.g. shipments=confirm.txt")
    return DatasetRequest(source, kind, encoding)


def _output_flag(value: str) -> tuple[str, str]:
    name, sep, path = value.partition("=")
    if sep and "/" not in name and "\\" not in name:
        return name, path
    fmt = _SUFFIX_FORMATS.get(Path(value).suffix)
    if fmt is None:
        raise UsageError(f"--output {value!r}: name the format, e.g. json={value}")
    return fmt, value


def _as_of(value: str | None):
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError as err:
        raise UsageError(f"--as-of: {err}") from None


def _explain(lines: list) -> None:
    """``--explain``: per dataset and rule, pushed down into the database (with the SQL) or streamed."""
    for location in dict.fromkeys(line.location for line in lines):
        print(f"order-guard: explain: {safe_text(scrub(location))}", file=sys.stderr)
        for line in lines:
            if line.location == location:
                label = "  " if line.rule == "*" else f"  {line.rule}: "
                detail = scrub(line.detail).replace("\n", "\n      ")
                print(f"{label}{detail}", file=sys.stderr)


def _announce(dataset: Dataset) -> None:
    print(f"order-guard: {safe_text(scrub(dataset.describe()))}", file=sys.stderr)


def write_atomically(path: Path, write: Callable[[TextIO], object]) -> None:
    """Write to a temporary file beside ``path`` and rename: never a half-written report."""
    import tempfile

    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as err:
        raise UsageError(f"--output {path}: cannot write: {err.strerror or err}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            write(out)
        os.replace(temporary, path)
    except OSError as err:  # a full disk, a directory in the way: one line, and no partial file
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"--output {path}: cannot write: {err.strerror or err}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
