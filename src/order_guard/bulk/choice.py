"""``--engine``: which engine checks a run's orders, and why (the report says both).

``streaming`` is the pure-Python engine. ``duckdb`` hands the orders file to
DuckDB (:mod:`order_guard.bulk.pushdown`). ``auto``, the default, picks DuckDB
where it is installed and the orders file is large enough to repay its start
(``AUTO_MIN_BYTES``, measured: see ``bench/RESULTS.md``). DuckDB takes one
flat, tab-separated, uncompressed UTF-8 orders file; any other orders input
is streamed, and a run with several orders datasets is streamed whole (the
newest snapshot of an order decides across them). Nothing here imports DuckDB.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from order_guard.errors import UsageError

ENGINES = ("auto", "duckdb", "streaming")
#: Orders files from this size up are checked by DuckDB under ``--engine auto``.
AUTO_MIN_BYTES = 48 * 1000 * 1000
INSTALL = "pip install 'order-guard[duckdb]'"


class EngineChoice:
    """The engine asked for, the one that ran, why; ``pushdown`` is the DuckDB hook handed out, if any."""

    def __init__(self, requested: str, used: str = "streaming", reason: str = "", pushdown: Any = None):
        # (A plain class: a dataclass costs every run's start-up its generated methods.)
        self.requested, self.used, self.reason, self.pushdown = requested, used, reason, pushdown

    def settle(self) -> None:
        """After the run: whether DuckDB ran, or why the file was streamed after all."""
        if self.pushdown is None:
            return
        if self.pushdown.ran:
            self.used = "duckdb"
        else:
            self.used = "streaming"
            why = self.pushdown.fallback or "no check of the orders to run"
            self.reason = f"DuckDB did not check it: {why}; streamed instead"

    def as_report(self) -> dict[str, str]:
        return {"requested": self.requested, "used": self.used, "reason": self.reason}


def duckdb_installed() -> bool:
    import importlib.util  # here: a small orders file (a gate) never asks

    return all(importlib.util.find_spec(name) is not None for name in ("duckdb", "sqlalchemy"))


def choose(requested: str, datasets: Sequence[Any], engine: Any, registry: Any) -> EngineChoice:
    """Decide for ``datasets`` and, for DuckDB, give the orders dataset its pushdown."""
    if requested not in ENGINES:
        raise UsageError(f"--engine {requested!r}: expected one of {', '.join(ENGINES)}")
    choice = EngineChoice(requested)
    if requested == "streaming":
        choice.reason = "--engine streaming"
        return choice
    if requested == "duckdb" and not duckdb_installed():
        raise UsageError(f"--engine duckdb: DuckDB is not installed ({INSTALL})")
    orders = [dataset for dataset in datasets if dataset.kind == "orders"]
    why_not = _not_for_duckdb(orders, registry)
    if why_not:
        choice.reason = f"{'auto' if requested == 'auto' else '--engine duckdb'}: {why_not}; streamed"
        return choice
    dataset = orders[0]
    size = os.path.getsize(dataset.location)
    if requested == "auto":
        if size < AUTO_MIN_BYTES:
            choice.reason = (f"auto: {_megabytes(size)} of orders, below the {_megabytes(AUTO_MIN_BYTES)} "
                             "where DuckDB starts to pay off")
            return choice
        if not duckdb_installed():
            choice.reason = f"auto: {_megabytes(size)} of orders, but DuckDB is not installed ({INSTALL})"
            return choice
    from order_guard.bulk.pushdown import FilePushdown

    choice.pushdown = dataset.pushdown = FilePushdown(dataset, registry.formats[dataset.format], engine.links)
    choice.used = "duckdb"
    choice.reason = (f"auto: {_megabytes(size)} of orders, at least {_megabytes(AUTO_MIN_BYTES)}"
                     if requested == "auto" else "--engine duckdb")
    return choice


def _not_for_duckdb(orders: Sequence[Any], registry: Any) -> str | None:
    """Why DuckDB cannot take the run's orders, or None."""
    if not orders:
        return "no orders dataset"
    if len(orders) > 1:
        return "several orders datasets (the newest snapshot of an order decides across them)"
    dataset = orders[0]
    details = dataset.details
    if getattr(dataset, "pushdown", None) is not None:
        return "the orders come from a database, which runs the checks it can itself (see --explain)"
    if details.get("delimiter") is None or registry.formats.get(dataset.format) is None:
        return f"the orders are not a flat file ({dataset.format})"
    if details["delimiter"] != "tab":
        return f"the orders file is {details['delimiter']}-separated: DuckDB takes tab-separated reports"
    if details.get("compressed"):
        return "the orders file is compressed"
    if details.get("encoding") not in ("utf-8", "utf-8-sig"):
        return f"the orders file is {details.get('encoding')}: DuckDB takes UTF-8"
    if not os.path.isfile(dataset.location):
        return "the orders are not a local file"
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
