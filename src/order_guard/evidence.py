"""Evidence bundles: one folder that records a run well enough to defend it and to repeat it.

``check --evidence DIR`` writes ``manifest.json`` (tool and plugin versions,
the command, ``--as-of``, every input with path, kind, format, SHA-256 and
counts, the packs, waivers and baseline with digests), copies of the rule
packs, waivers and baseline (small, and they are what decided the result),
and ``report.json``. The inputs themselves are not copied: they hold buyer
data and can be large; ``verify`` re-reads them from their paths and first
checks their digests.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from pathlib import Path
from typing import Any

from order_guard import __version__
from order_guard.errors import UsageError
from order_guard.registry import Registry
from order_guard.report import Report
from order_guard.rulelang.model import Pack

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REPORT = "report.json"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_bundle(directory: Path, report: Report, packs: list[Pack], registry: Registry, *,
                 command: list[str], fail_on: str, show_buyer_data: bool,
                 waivers: Path | None, baseline: Path | None) -> None:
    """Write the bundle into ``directory`` (created; an existing bundle there is replaced)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "packs").mkdir(exist_ok=True)
    except OSError as err:
        raise UsageError(f"--evidence {directory}: cannot write: {err.strerror or err}") from None
    pack_entries = []
    for number, pack in enumerate(packs, start=1):
        copy = Path("packs") / f"{number:02d}-{pack.path.name}"
        shutil.copyfile(pack.path, directory / copy)
        pack_entries.append({"name": pack.name, "version": pack.version, "sha256": pack.sha256,
                             "source": str(pack.path), "file": str(copy)})
    manifest = {
        "order_guard_evidence": FORMAT_VERSION,
        "tool": {"name": "order-guard", "version": __version__},
        "python": platform.python_version(),
        "plugins": [{"name": name, "distribution": dist, "version": version}
                    for name, (dist, version) in sorted(registry.plugins.items())],
        "command": command,
        "cwd": str(Path.cwd()),
        "as_of": report.data["as_of"],
        "fail_on": fail_on,
        "show_buyer_data": show_buyer_data,
        "inputs": [{key: entry[key] for key in ("path", "kind", "format", "sha256", "records", "unreadable")}
                   for entry in report.data["inputs"]],
        "packs": pack_entries,
        "waivers": _copy(waivers, directory, "waivers.yaml"),
        "waivers_applied": report.data["waivers"],
        "baseline": _copy(baseline, directory, "baseline.json"),
        "report": {"file": REPORT},
    }
    report_text = json.dumps(report.data, indent=2, ensure_ascii=False) + "\n"
    (directory / REPORT).write_text(report_text, encoding="utf-8")
    manifest["report"]["sha256"] = hashlib.sha256(report_text.encode("utf-8")).hexdigest()
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _copy(source: Path | None, directory: Path, name: str) -> dict[str, Any] | None:
    if source is None:
        return None
    shutil.copyfile(source, directory / name)
    return {"source": str(source), "file": name, "sha256": sha256_of(source)}


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror or err}") from None
    except ValueError as err:
        raise UsageError(f"{path}: not JSON: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("order_guard_evidence") != FORMAT_VERSION:
        raise UsageError(f"{path}: not an order-guard evidence manifest (version {FORMAT_VERSION})")
    return manifest


def comparable(report: dict[str, Any], renamed: dict[str, str] | None = None) -> dict[str, Any]:
    """What must be identical between a run and its re-run: all but where the packs were read from.

    ``renamed`` maps the bundle's copies (waivers, baseline) back to the files the run read,
    so ``waivers.yaml:12`` in a re-run compares equal to ``/etc/shop/waivers.yaml:12``.
    """
    without_pack_paths = {**report, "packs": [{key: value for key, value in pack.items() if key != "path"}
                                              for pack in report["packs"]]}
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
