"""Load rule packs: from the cache when a file is unchanged, else validated in two phases.

A rule file is read as bytes; if a pack with the same bytes was validated
against the same vocabulary before (:mod:`packcache`), it is used as stored.
Otherwise :mod:`validation` parses and checks it, and a file without a
problem is stored for the next run. Every problem of every file is collected
and raised as one :class:`RuleFileError`, each with its file, line and rule id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from order_guard.errors import RuleFileError, RuleProblem
from order_guard.rulelang import packcache
from order_guard.rulelang.model import Pack, Rule
from order_guard.rulelang.schema import rule_file_schema
from order_guard.types import Operator

RULE_SUFFIXES = (".yaml", ".yml")
#: Rule case files (``NAME.cases.yaml``, see :mod:`cases`) sit beside the packs they test.
CASES_SUFFIX = ".cases.yaml"


def is_case_file(path: Path) -> bool:
    return path.name.lower().endswith(CASES_SUFFIX)


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Every rule file named, directories expanded (sorted, so runs are reproducible)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in RULE_SUFFIXES and p.is_file()
                                and not is_case_file(p)))
        else:
            files.append(path)
    return files


#: A rule file larger than this is refused unread (Amazon's pack is 20 KB; a pack of 8 MB would be
#: tens of thousands of rules).
MAX_RULE_FILE_BYTES = 8 << 20


def load_packs(paths: Iterable[Path], operators: Mapping[str, Operator]) -> list[Pack]:
    """Load and validate every rule file under ``paths``; raise one error listing all problems."""
    schema = rule_file_schema(operators)
    vocabulary = packcache.vocabulary_key(operators, schema)
    structure: Any = None  # the phase-1 validator, made for the first file not in the cache
    problems: list[RuleProblem] = []
    packs: list[Pack] = []
    for path in rule_files(paths):
        try:
            size = path.stat().st_size
            if size > MAX_RULE_FILE_BYTES:  # refused before parsing: a hostile file costs nothing
                problems.append(RuleProblem(path, None, f"{size / (1 << 20):.1f} MB: a rule file may be at most "
                                                        f"{MAX_RULE_FILE_BYTES >> 20} MB; split the pack into files"))
                continue
            content = path.read_bytes()
        except OSError as err:
            problems.append(RuleProblem(path, None, f"cannot read: {err.strerror or err}"))
            continue
        key = packcache.key_for(content, vocabulary)
        pack = packcache.load(key, path)
        if pack is None:
            from order_guard.rulelang import validation  # here: YAML, jsonschema and phase 2 cost start-up time

            structure = structure or validation.Structure(schema)
            before = len(problems)
            pack = validation.validate_file(path, content, structure, operators, problems)
            if pack is not None and len(problems) == before:
                packcache.store(key, pack)
        if pack is not None:
            packs.append(pack)
    _check_unique(packs, problems)
    if problems:
        raise RuleFileError(problems)
    return packs


def _check_unique(packs: list[Pack], problems: list[RuleProblem]) -> None:
    seen_ids: dict[str, Rule] = {}
    seen_names: dict[str, Rule] = {}
    for pack in packs:
        for rule in pack.rules:
            for seen, value, what in ((seen_ids, rule.id, "id"), (seen_names, rule.name, "name")):
                first = seen.setdefault(value, rule)
                if first is not rule:
                    problems.append(RuleProblem(rule.path, rule.line,
                                                f"duplicate rule {what} {value!r} (first at {first.path}:{first.line})",
                                                rule.id))
