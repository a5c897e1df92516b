"""A cache of validated rule packs, keyed by the rule file's bytes and the vocabulary it was checked in.

A warehouse gate starts many times a day with the same pack; parsing its YAML,
validating it against the schema (phase 1) and checking its meaning (phase 2)
each time costs more than checking one parcel. A file whose bytes, order-guard
version, rule-file schema and operator code are unchanged is read back from
here instead: the pack as the loader built it (:mod:`order_guard.rulelang.model`),
lines included, so errors found later still name them. Only files without a
single problem are stored. Entries are JSON (data, never code) behind a digest
(:mod:`order_guard.cachefiles`); a damaged or foreign one is a miss. The digest guards
against damage, not against someone who may write to the cache folder (who could as
well edit the rule files): keep the folder as private as the packs.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from order_guard import __version__
from order_guard.cachefiles import cache_dir, read_entry, write_entry
from order_guard.digests import sha256
from order_guard.rulelang.lines import LineDict, LineList
from order_guard.rulelang.model import Check, Pack, Rule
from order_guard.types import Operator

#: Bumped whenever the stored shape changes; part of every key.
FORMAT = 2


def vocabulary_key(operators: Mapping[str, Operator], schema: Mapping[str, Any]) -> str:
    """What a pack was validated against: the rule-file schema and the code of each operator.

    Each operator's source file is named with its size and modification time, so
    editing a plugin's operator (or installing another version) invalidates the
    packs validated with the old one, even when its version number is unchanged.
    """
    parts = [json.dumps(schema, sort_keys=True)]
    for name in sorted(operators):
        compile_ = operators[name].compile
        parts.append(f"{name}\0{getattr(compile_, '__module__', '')}\0{getattr(compile_, '__qualname__', '')}"
                     f"\0{_code_stamp(compile_)}")
    return sha256("\0\0".join(parts).encode()).hexdigest()


def _code_stamp(function: Any) -> str:
    code = getattr(function, "__code__", None)
    filename = code.co_filename if code is not None else getattr(
        sys.modules.get(getattr(function, "__module__", None) or ""), "__file__", None)
    if not filename:
        return "?"
    try:
        stat = os.stat(filename)
    except OSError:
        return f"{filename}\0?"
    return f"{filename}\0{stat.st_size}\0{stat.st_mtime_ns}"


def key_for(content: bytes, vocabulary: str) -> str:
    return sha256(b"%d\0%s\0%s\0" % (FORMAT, __version__.encode(), vocabulary.encode()) + content).hexdigest()


def load(key: str, path: Path) -> Pack | None:
    """The pack stored under ``key``, as read from ``path``; None on a miss or a damaged entry."""
    folder = cache_dir("packs")
    if folder is None:
        return None
    content = read_entry(folder / f"{key}.json")
    if content is None:
        return None
    try:
        return _decode_pack(json.loads(content), path)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def store(key: str, pack: Pack) -> None:
    """Keep a pack that validated without a problem."""
    folder = cache_dir("packs")
    if folder is None:
        return
    try:
        content = json.dumps(_encode_pack(pack), separators=(",", ":")).encode()
    except (TypeError, ValueError):  # a value JSON cannot hold: validate that file every time
        return
    write_entry(folder / f"{key}.json", content)


def _encode_pack(pack: Pack) -> dict[str, Any]:
    return {"name": pack.name, "version": pack.version, "sha256": pack.sha256, "description": pack.description,
            "rules": [_encode_rule(rule) for rule in pack.rules]}


def _decode_pack(data: dict[str, Any], path: Path) -> Pack:
    return Pack(name=data["name"], version=data["version"], path=path, sha256=data["sha256"],
                description=data["description"],
                rules=tuple(_decode_rule(rule, path, data["name"]) for rule in data["rules"]))


def _encode_rule(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "name": rule.name, "severity": rule.severity, "summary": rule.summary,
            "checks": [_encode_check(check) for check in rule.checks], "rationale": rule.rationale,
            "remediation": rule.remediation, "references": list(rule.references),
            "examples": _encode(rule.examples), "tags": list(rule.tags), "value_at_risk": rule.value_at_risk,
            "line": rule.line}


def _decode_rule(data: dict[str, Any], path: Path, pack: str) -> Rule:
    return Rule(id=data["id"], name=data["name"], severity=data["severity"], summary=data["summary"],
                checks=tuple(_decode_check(check) for check in data["checks"]), rationale=data["rationale"],
                remediation=data["remediation"], references=tuple(data["references"]),
                examples=_decode(data["examples"]), tags=tuple(data["tags"]), value_at_risk=data["value_at_risk"],
                path=path, line=data["line"], pack=pack)


def _encode_check(check: Check) -> dict[str, Any]:
    return {"dataset": check.dataset, "fail_if": _encode(check.fail_if), "message": check.message,
            "when": _encode(check.when), "line": check.line, "uses": list(check.uses),
            "reads_as_of": check.reads_as_of}


def _decode_check(data: dict[str, Any]) -> Check:
    return Check(dataset=data["dataset"], fail_if=_decode(data["fail_if"]), message=data["message"],
                 when=_decode(data["when"]), line=data["line"], uses=tuple(data["uses"]),
                 reads_as_of=data["reads_as_of"])


def _encode(value: Any) -> Any:
    """A YAML value with its lines: mappings as ``m``, sequences as ``s``, scalars as ``v``."""
    if isinstance(value, LineDict):
        return {"m": {key: _encode(item) for key, item in value.items()}, "l": value.line, "k": value.key_lines}
    if isinstance(value, LineList):
        return {"s": [_encode(item) for item in value], "l": value.line, "i": value.item_lines}
    if isinstance(value, (dict, list, tuple, set)):
        raise TypeError("only values read from YAML, with their lines, are cached")
    return {"v": value}


def _decode(value: dict[str, Any]) -> Any:
    if "m" in value:
        mapping = LineDict((key, _decode(item)) for key, item in value["m"].items())
        mapping.line, mapping.key_lines = value["l"], value["k"]
        return mapping
    if "s" in value:
        sequence = LineList(_decode(item) for item in value["s"])
        sequence.line, sequence.item_lines = value["l"], value["i"]
        return sequence
    return value["v"]
