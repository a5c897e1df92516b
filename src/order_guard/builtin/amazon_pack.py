"""Registers the Amazon Pending pack, which runs when no ``--rules`` is given."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from order_guard import hookimpl
from order_guard.types import RulePack


def bundled_rules_dir() -> Path:
    """``order_guard/packs`` in an installed wheel; ``rules/`` in a checkout or editable install."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "packs"
    return installed if installed.is_dir() else package.parents[1] / "rules"


@hookimpl
def order_guard_rule_packs() -> Iterator[RulePack]:
    yield RulePack(name="amazon-pending", path=bundled_rules_dir() / "amazon" / "pending.yaml",
                   description="Amazon's guidance on Pending orders (Seller Central help G40571)")
