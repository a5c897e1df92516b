"""``--format html``, registered without its writer.

The writer, ``order_guard.reporters.html_page:render_html``, is imported only when the format is used.
"""

from __future__ import annotations

from collections.abc import Iterator

from order_guard import hookimpl
from order_guard.deferred import Deferred
from order_guard.types import Reporter


@hookimpl
def order_guard_reporters() -> Iterator[Reporter]:
    yield Reporter(name="html", render=Deferred("order_guard.reporters.html_page:render_html"),
                   description="one self-contained HTML page for auditors")
