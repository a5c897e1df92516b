"""``order-guard verify DIR``: re-run a check from its evidence bundle and say whether the result is identical.

Exit 0: identical. Exit 1: the re-run differs (each difference is named).
Exit 2: not a bundle, or a damaged manifest. Exit 3: the bundle's own copies were
altered, or an input is missing or changed, so the run cannot be repeated.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from order_guard.canonical import parse_datetime
from order_guard.checking import CheckRequest, load_registry, run_check
from order_guard.datasets import DatasetRequest
from order_guard.digests import of_file
from order_guard.errors import ExitCode
from order_guard.evidence import REPORT, altered_copies, comparable, read_manifest
from order_guard.manager import split_plugin_flags


def run(args: argparse.Namespace) -> int:
    bundle = Path(args.bundle).resolve()
    manifest = read_manifest(bundle)
    # Input paths are recorded as the user gave them: re-read them from where the run was made.
    if Path(manifest["cwd"]).is_dir():
        os.chdir(manifest["cwd"])
    problems = altered_copies(bundle, manifest) + _input_problems(manifest)
    if problems:
        for problem in problems:
            print(f"cannot verify: {problem}")
        return ExitCode.INCOMPLETE
    enabled, disabled = split_plugin_flags([*manifest["plugin_flags"], *args.plugins])
    request = CheckRequest(
        datasets=[DatasetRequest(entry["location"], None if entry["kind"] == "unknown" else entry["kind"],
                                 entry.get("encoding")) for entry in manifest["inputs"]],
        rules=[bundle / pack["file"] for pack in manifest["packs"]],
        as_of=parse_datetime(manifest["as_of"]),
        show_buyer_data=manifest["show_buyer_data"],
        plugins=enabled,
        disabled_plugins=disabled,
        waivers=bundle / manifest["waivers"]["file"] if manifest["waivers"] else None,
        baseline=bundle / manifest["baseline"]["file"] if manifest["baseline"] else None,
    )
    again, _ = run_check(request, load_registry(enabled, disabled))
    recorded = json.loads((bundle / REPORT).read_text(encoding="utf-8"))
    renamed = {str(bundle / manifest[name]["file"]): manifest[name]["source"]
               for name in ("waivers", "baseline") if manifest[name]}
    differences = _differences(comparable(recorded), comparable(again.data, renamed))
    if differences:
        print(f"DIFFERENT: re-running {bundle} does not reproduce the recorded result:")
        for difference in differences[:20]:
            print(f"  {difference}")
        return ExitCode.FINDINGS
    summary = recorded["summary"]
    print(f"IDENTICAL: {len(manifest['inputs'])} input(s) unchanged, {summary['findings']} finding(s) and "
          f"the whole report reproduced as of {manifest['as_of']}")
    return ExitCode.CLEAN


def _input_problems(manifest: dict) -> list[str]:
    problems = []
    for entry in manifest["inputs"]:
        location = entry["location"]
        if entry["secret_in_location"]:
            problems.append(f"input {location} held a secret, which the bundle does not keep: re-run it by hand")
        elif entry["sha256"] is None:
            continue  # not a file (an API, a database): re-read as it is now
        elif not Path(location).is_file():
            problems.append(f"input {location} is no longer there")
        elif of_file(Path(location)) != entry["sha256"]:
            problems.append(f"input {location} changed since the run (SHA-256 differs)")
    return problems


def _differences(recorded: object, again: object, where: str = "report") -> list[str]:
    if type(recorded) is not type(again):
        return [f"{where}: {recorded!r} then {again!r}"]
    if isinstance(recorded, dict):
        out = []
        for key in sorted(set(recorded) | set(again)):
            if key not in again or key not in recorded:
                out.append(f"{where}.{key}: only in {'the record' if key in recorded else 'the re-run'}")
            else:
                out += _differences(recorded[key], again[key], f"{where}.{key}")
        return out
    if isinstance(recorded, list):
        if len(recorded) != len(again):
            return [f"{where}: {len(recorded)} entries recorded, {len(again)} on re-run"]
        return [d for index, (a, b) in enumerate(zip(recorded, again, strict=True))
                for d in _differences(a, b, f"{where}[{index}]")]
    return [] if recorded == again else [f"{where}: {recorded!r} recorded, {again!r} on re-run"]
