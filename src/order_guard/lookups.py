"""Look-up indexes and aggregates that compiled checks ask for, filled as the data is read.

An index maps a key (an order id) to the records of another dataset with
that key. An aggregate sums a field per group (units per SKU) over the
records of a dataset that satisfy a condition. Aggregates remember what
each order contributed, so that a newer snapshot of an order replaces the
older one instead of adding to it (two overlapping reports, a stream of
ORDER_CHANGE notifications), and so that an order whose items are missing
is known, not silently counted as zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from typing import Any

from order_guard.rulelang.compiler import Predicate


class Aggregate:
    """``table[group]``: the sum of one field per group, over records that satisfy ``where``."""

    def __init__(self, spec: Mapping[str, Any], where: Predicate | None, requester: str):
        self.spec = spec
        self.where = where
        self.requester = requester
        self.table: dict[Any, Any] = defaultdict(int)
        self._group_by, self._sum, self._unnest = spec["group_by"], spec["sum"], spec.get("unnest")
        #: order id -> {(group, item id): (amount, source file)}: what each order added
        self._by_order: dict[Any, dict[tuple[Any, Any], tuple[Any, str]]] = {}
        #: records that satisfy ``where`` but have no items to sum: their share is unknown
        self.missing_items: list[dict[str, Any]] = []

    @property
    def label(self) -> str:
        return self.spec.get("as") or f"the sum of {self._sum} by {self._group_by}"

    def feed(self, record: dict[str, Any]) -> bool:
        """Add ``record``'s share; True if it contributed (so the engine tracks its version)."""
        if self.where is not None and not self.where(record):
            return False
        rows = (record.get(self._unnest) or ()) if self._unnest else (record,)
        if self._unnest and not rows:
            self.missing_items.append(record)
            return False
        mine: dict[tuple[Any, Any], Any] = {}
        for row in rows:
            group, amount = row.get(self._group_by), row.get(self._sum)
            if group is not None and amount is not None:
                key = (group, row.get("order_item_id"))
                mine[key] = mine.get(key, 0) + amount
        order, source = record.get("order_id"), record.get("_path")
        shares = self._by_order.setdefault(order, {}) if order is not None else {}
        for key, amount in mine.items():
            before, seen_in = shares.get(key, (0, source))
            # More rows of the order in the same file add up; the same item in another file
            # (overlapping reports: by order date and by last update) replaces its share.
            total = before + amount if seen_in == source else amount
            self.table[key[0]] += total - before
            if order is not None:
                shares[key] = (total, source)
        return True

    def share(self) -> tuple[dict, dict, list]:
        """What was fed so far, to carry to another process (``parallel.py``)."""
        return dict(self.table), self._by_order, self.missing_items

    def absorb(self, share: tuple[dict, dict, list]) -> None:
        """Add a share fed elsewhere from other orders (no order in both)."""
        table, by_order, missing = share
        for group, amount in table.items():
            self.table[group] += amount
        self._by_order.update(by_order)
        self.missing_items.extend(missing)

    def retract(self, order: Any) -> None:
        """Forget what ``order`` added: a newer snapshot of it is about to be fed."""
        for (group, _), (amount, _source) in self._by_order.pop(order, {}).items():
            self.table[group] -= amount
        self.missing_items = [record for record in self.missing_items if record.get("order_id") != order]


class Links:
    """The indexes and aggregates a run's compiled checks asked for (see ``compiler.Links``)."""

    def __init__(self) -> None:
        self.indexes: list[tuple[str, str, str, str, dict]] = []
        self.aggregates: list[Aggregate] = []

    def index(self, dataset: str, key: str, on: str, requester: str) -> dict:
        table: dict = {}
        self.indexes.append((dataset, key, on, requester, table))
        return table

    def aggregate(self, spec: Mapping[str, Any], where: Predicate | None, requester: str) -> dict:
        aggregate = Aggregate(spec, where, requester)
        self.aggregates.append(aggregate)
        return aggregate.table

    def index_feeders(self, kind: str, wanted: Mapping[str, set],
                      present: Collection[str] | None = None) -> list[Callable[[dict], None]]:
        """Functions to call with every record of ``kind`` as it is read. ``wanted`` limits an
        index of the streamed orders to the keys its requester's records name (a semi-join);
        an index whose requester has no data in the run (``present``) is not built."""
        return [_index_feeder(table, key, wanted.get(f"{requester}.{on}"))
                for dataset, key, on, requester, table in self.indexes
                if dataset == kind and (present is None or requester in present)]

    def aggregates_over(self, kind: str, present: Collection[str] | None = None) -> list[Aggregate]:
        """Aggregates over ``kind``; only those some present dataset's checks will read."""
        return [aggregate for aggregate in self.aggregates if aggregate.spec["dataset"] == kind
                and (present is None or aggregate.requester in present)]


def _index_feeder(table: dict, key: str, wanted: set | None) -> Callable[[dict], None]:
    def feed(record: dict) -> None:
        value = record.get(key)
        if value is not None and (wanted is None or value in wanted):
            # Only where the match is (for evidence): the record itself may be large.
            table.setdefault(value, []).append({"_path": record.get("_path"), "_line": record.get("_line")})

    return feed
