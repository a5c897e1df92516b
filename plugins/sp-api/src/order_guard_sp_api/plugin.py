"""The plugin module order-guard loads (entry point ``sp_api`` of group ``order_guard``).

It only declares the source: nothing is read, and no module that talks to
the network is imported, until a ``sp-api://`` dataset is opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from order_guard import hookimpl
from order_guard.types import Source

if TYPE_CHECKING:
    from order_guard.datasets import Dataset, DatasetRequest
    from order_guard.registry import Registry

SCHEME = "sp-api://"


def claims(location: str) -> bool:
    return location.startswith(SCHEME)


def open_dataset(request: DatasetRequest, registry: Registry) -> list[Dataset]:
    from order_guard_sp_api.source import open_sp_api

    return open_sp_api(request, registry)


@hookimpl
def order_guard_sources() -> Iterator[Source]:
    yield Source(name="sp-api", claims=claims, open=open_dataset, priority=100,
                 description="Amazon Selling Partner API: sp-api://orders?... (Orders v0, 2026-01-01) and "
                             "sp-api://reports/REPORT_TYPE?... (flat-file reports)")
