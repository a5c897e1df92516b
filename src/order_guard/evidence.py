"""Evidence bundles: one folder that records a run well enough to defend it and to repeat it.

``check --evidence DIR`` writes ``manifest.json`` (tool and plugin versions,
the command, ``--as-of``, the verdict and exit code, every input with its
location, kind, format, encoding, SHA-256 and counts, the packs, waivers and
baseline with their digests), copies of the rule packs, waivers and baseline
(small, and they are what decided the result), and ``report.json``. The
inputs themselves are not copied: they hold buyer data and can be large;
``verify`` re-reads them from where they were and first checks every digest.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from order_guard import __version__
from order_guard.digests import of_file
from order_guard.errors import UsageError
from order_guard.registry import Registry
from order_guard.report import RenderOptions, Report
from order_guard.reporting import verdict
from order_guard.rulelang.model import Pack
from order_guard.secrets import scrub

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REPORT = "report.json"


@dataclass
class RunRecord:
    """How a run was asked for: what ``verify`` needs to ask for it again."""

    command: list[str]
    options: RenderOptions
    show_buyer_data: bool
    encodings: list[str | None]
    plugins: list[str] = field(default_factory=list)
    waivers: Path | None = None
    baseline: Path | None = None


def write_bundle(directory: Path, report: Report, packs: list[Pack], registry: Registry, run: RunRecord) -> None:
    """Write the bundle into ``directory``, replacing any bundle there as a whole: it is
    assembled beside it first, so a failure never leaves a half-old, half-new record."""
    parent = directory.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
    except OSError as err:
        raise UsageError(f"--evidence {directory}: cannot write: {err.strerror or err}") from None
    try:
        _assemble(staging, report, packs, registry, run)
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _assemble(staging: Path, report: Report, packs: list[Pack], registry: Registry, run: RunRecord) -> None:
    (staging / "packs").mkdir()
    pack_entries = []
    for number, pack in enumerate(packs, start=1):
        copy = Path("packs") / f"{number:02d}-{pack.path.name}"
        shutil.copyfile(pack.path, staging / copy)
        pack_entries.append({"name": pack.name, "version": pack.version, "sha256": pack.sha256,
                             "source": scrub(str(pack.path)), "file": str(copy)})
    inputs = []
    for location, entry, encoding in zip(report.input_locations, report.data["inputs"], run.encodings, strict=True):
        inputs.append({"location": scrub(location), "secret_in_location": scrub(location) != location,
                       "encoding": encoding,
                       **{key: entry[key] for key in ("kind", "format", "sha256", "records", "unreadable")}})
    word, why = verdict(report, run.options)
    manifest = {
        "order_guard_evidence": FORMAT_VERSION,
        "tool": {"name": "order-guard", "version": __version__},
        "python": platform.python_version(),
        "plugins": [{"name": name, "distribution": dist, "version": version}
                    for name, (dist, version) in sorted(registry.plugins.items())],
        "plugin_flags": run.plugins,
        "command": [scrub(arg) for arg in run.command],
        "cwd": str(Path.cwd()),
        "as_of": report.data["as_of"],
        "fail_on": run.options.fail_on,
        "fail_on_stale_waivers": run.options.fail_on_stale_waivers,
        "show_buyer_data": run.show_buyer_data,
        "verdict": {"result": word, "why": why, "exit_code": int(report.verdict(run.options))},
        "inputs": inputs,
        "packs": pack_entries,
        "waivers": _copy(run.waivers, staging, "waivers.yaml"),
        "waivers_applied": report.data["waivers"],  # for the auditor: which exceptions decided what
        "baseline": _copy(run.baseline, staging, "baseline.json"),
    }
    report_text = json.dumps(report.data, indent=2, ensure_ascii=False) + "\n"
    (staging / REPORT).write_text(report_text, encoding="utf-8")
    manifest["report"] = {"file": REPORT, "sha256": hashlib.sha256(report_text.encode("utf-8")).hexdigest()}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _copy(source: Path | None, staging: Path, name: str) -> dict[str, Any] | None:
    if source is None:
        return None
    shutil.copyfile(source, staging / name)
    return {"source": scrub(str(source)), "file": name, "sha256": of_file(staging / name)}


_COPY = {"type": "object", "required": ["file", "sha256", "source"],
         "properties": {"file": {"type": "string"}, "sha256": {"type": "string"}, "source": {"type": "string"}}}
MANIFEST_SCHEMA = {
    "type": "object",
    "required": ["order_guard_evidence", "cwd", "as_of", "fail_on", "fail_on_stale_waivers", "show_buyer_data",
                 "inputs", "packs", "waivers", "baseline", "report", "plugin_flags"],
    "properties": {
        "cwd": {"type": "string"},
        "as_of": {"type": "string"},
        "fail_on": {"type": "string"},
        "fail_on_stale_waivers": {"type": "boolean"},
        "show_buyer_data": {"type": "boolean"},
        "plugin_flags": {"type": "array", "items": {"type": "string"}},
        "inputs": {"type": "array", "items": {
            "type": "object", "required": ["location", "kind", "sha256", "secret_in_location"],
            "properties": {"location": {"type": "string"}, "kind": {"type": "string"},
                           "sha256": {"type": ["string", "null"]}, "encoding": {"type": ["string", "null"]},
                           "secret_in_location": {"type": "boolean"}}}},
        "packs": {"type": "array", "items": _COPY},
        "waivers": {"oneOf": [{"type": "null"}, _COPY]},
        "baseline": {"oneOf": [{"type": "null"}, _COPY]},
        "report": {"type": "object", "required": ["file", "sha256"],
                   "properties": {"file": {"type": "string"}, "sha256": {"type": "string"}}},
    },
}


def read_manifest(directory: Path) -> dict[str, Any]:
    """The bundle's manifest, checked for shape: a hand-edited bundle is a clear error (exit 2)."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror or err}") from None
    except ValueError as err:
        raise UsageError(f"{path}: not JSON: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("order_guard_evidence") != FORMAT_VERSION:
        raise UsageError(f"{path}: not an order-guard evidence manifest (version {FORMAT_VERSION})")
    import jsonschema

    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(MANIFEST_SCHEMA).iter_errors(manifest))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "the top"
        raise UsageError(f"{path}: damaged manifest at {where}: {error.message}")
    return manifest


def altered_copies(directory: Path, manifest: dict[str, Any]) -> list[str]:
    """The recorded copies (packs, waivers, baseline, report) whose digest no longer matches."""
    copies = [*manifest["packs"], manifest["waivers"], manifest["baseline"], manifest["report"]]
    problems = []
    for copy in filter(None, copies):
        path = directory / copy["file"]
        if not path.is_file():
            problems.append(f"{copy['file']} is missing from the bundle")
        elif of_file(path) != copy["sha256"]:
            problems.append(f"{copy['file']} was changed after the run (SHA-256 differs)")
    return problems


def comparable(report: dict[str, Any], renamed: dict[str, str] | None = None) -> dict[str, Any]:
    """What must be identical between a run and its re-run: all but where the packs were read from
    and which engine checked the orders (they find the same).

    ``renamed`` maps the bundle's copies (waivers, baseline) back to the files the run read,
    so ``waivers.yaml:12`` in a re-run compares equal to ``/etc/shop/waivers.yaml:12``.
    """
    without_pack_paths = {**report, "packs": [{key: value for key, value in pack.items() if key != "path"}
                                              for pack in report["packs"]]}
    without_pack_paths.pop("engine", None)  # how the orders were checked, not what was found
    return _rename(without_pack_paths, renamed or {})


def _rename(value: Any, renamed: dict[str, str]) -> Any:
    if isinstance(value, str):
        for copy, original in renamed.items():
            if value == copy or value.startswith(copy + ":"):
                return original + value[len(copy):]
        return value
    if isinstance(value, dict):
        return {key: _rename(item, renamed) for key, item in value.items()}
    if isinstance(value, list):
        return [_rename(item, renamed) for item in value]
    return value
