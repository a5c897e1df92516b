"""``--format sarif``, registered without its writer.

The writer, ``order_guard.reporters.sarif_log:render_sarif``, is imported only when the format is used.
"""

from __future__ import annotations

from collections.abc import Iterator

from order_guard import hookimpl
from order_guard.deferred import Deferred
from order_guard.types import Reporter


@hookimpl
def order_guard_reporters() -> Iterator[Reporter]:
    yield Reporter(name="sarif", render=Deferred("order_guard.reporters.sarif_log:render_sarif"),
                   description="SARIF 2.1.0 (code scanning, audit)")
