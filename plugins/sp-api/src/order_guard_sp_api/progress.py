"""A progress line on stderr, only on a terminal: pages, records, and waits for throttling.

Piped or redirected stderr (CI, a warehouse script's log) gets nothing from
here: the detected-dataset line and the report say what was read.
"""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool | None = None):
        self.label = label
        self._stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self._stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.pages = 0
        self.records = 0
        self.waited = 0.0
        self._shown = False

    def page(self, records: int) -> None:
        """Another page (or document) was read; ``records`` is the total read so far."""
        self.pages += 1
        self.records = records
        self._show()

    def waiting(self, seconds: float, reason: str) -> None:
        self.waited += seconds
        self._show(f"waiting {seconds:.1f} s ({reason})")

    def status(self, text: str) -> None:
        self._show(text)

    def done(self, records: int | None = None) -> None:
        if records is not None:
            self.records = records
        if self.enabled and self._shown:
            self._show("done")
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False

    def _show(self, extra: str = "") -> None:
        if not self.enabled:
            return
        text = f"order-guard: {self.label}: {self.pages} page(s), {self.records} record(s)"
        if self.waited:
            text += f", {self.waited:.0f} s throttled"
        if extra:
            text += f"; {extra}"
        self._stream.write("\r\x1b[K" + text)
        self._stream.flush()
        self._shown = True
