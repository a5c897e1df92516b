"""``--format junit``, registered without its writer.

The writer, ``order_guard.reporters.junit_xml:render_junit``, is imported only when the format is used.
"""

from __future__ import annotations

from collections.abc import Iterator

from order_guard import hookimpl
from order_guard.deferred import Deferred
from order_guard.types import Reporter


@hookimpl
def order_guard_reporters() -> Iterator[Reporter]:
    yield Reporter(name="junit", render=Deferred("order_guard.reporters.junit_xml:render_junit"),
                   description="JUnit XML for Jenkins and GitLab")
