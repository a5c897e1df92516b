"""``--format github``, registered without its writer.

The writer, ``order_guard.reporters.github_annotations:render_github``, is imported only when the format is used.
"""

from __future__ import annotations

from collections.abc import Iterator

from order_guard import hookimpl
from order_guard.deferred import Deferred
from order_guard.types import Reporter


@hookimpl
def order_guard_reporters() -> Iterator[Reporter]:
    yield Reporter(name="github", render=Deferred("order_guard.reporters.github_annotations:render_github"),
                   description="GitHub Actions workflow-command annotations")
