"""Rules and packs as loaded and validated from YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from order_guard.rulelang.schema import SEVERITIES

SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Check:
    """One scope of a rule: which dataset it walks, when it applies, when it fails."""

    dataset: str
    fail_if: dict[str, Any]
    message: str
    when: dict[str, Any] | None = None
    line: int | None = None
    #: Other datasets the check reads (look-ups, aggregates).
    uses: tuple[str, ...] = ()
    #: Whether the check measures against --as-of (then examples must fix it).
    reads_as_of: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    summary: str
    checks: tuple[Check, ...]
    rationale: str
    remediation: str
    references: tuple[str, ...]
    examples: dict[str, list[dict[str, Any]]]
    tags: tuple[str, ...] = ()
    value_at_risk: str | None = None
    path: Path | None = None
    line: int | None = None
    pack: str = ""

    @property
    def reads_as_of(self) -> bool:
        return any(check.reads_as_of for check in self.checks)

    def datasets(self) -> list[str]:
        """Every dataset the rule walks or reads."""
        return sorted({check.dataset for check in self.checks} | {name for check in self.checks for name in check.uses})


@dataclass(frozen=True)
class Pack:
    name: str
    version: str
    path: Path
    sha256: str
    description: str = ""
    rules: tuple[Rule, ...] = field(default=())
