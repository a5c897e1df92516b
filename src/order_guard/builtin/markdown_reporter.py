"""``--format markdown``, registered without its writer.

The writer, ``order_guard.reporters.markdown_page:render_markdown``, is imported only when the format is used.
"""

from __future__ import annotations

from collections.abc import Iterator

from order_guard import hookimpl
from order_guard.deferred import Deferred
from order_guard.types import Reporter


@hookimpl
def order_guard_reporters() -> Iterator[Reporter]:
    yield Reporter(name="markdown", render=Deferred("order_guard.reporters.markdown_page:render_markdown"),
                   description="a Markdown summary for pull requests and audits")
