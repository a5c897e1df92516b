"""The bulk engine's pass over a file's bytes (``order_guard.bulk.filescan.scan``) against plain Python.

The pass skips work on blocks where it cannot find anything (an ASCII block
ends no byte-order mark, a block without a carriage return holds no lone
one), so its facts are held here to what plain, whole-file Python says about
bytes that cross every block boundary.
"""

from __future__ import annotations

import hashlib
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from order_guard.bulk import filescan

BOM = b"\xef\xbb\xbf"
#: pieces that make the facts change: line breaks of each kind, a NUL, a byte-order mark and its halves
PIECES = [b"a", b"xyz", b"\t", b"\n", b"\r\n", b"\r", b"\n\n", b"\x00", BOM, b"\xef", b"\xbb\xbf", b"\xc3\xa8",
          b"2026-11-10T00:00:36+00:00\t9.50"]


def expected(data: bytes, step: int) -> dict:
    lines = data.splitlines()  # bytes.splitlines: LF, CR LF and a lone CR end a line, as the reader reads them
    trailing = 0
    while trailing < len(lines) - 1 and lines[-1 - trailing] == b"":
        trailing += 1
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "lone_cr": re.search(rb"\r(?!\n)", data) is not None,
        "nul": b"\x00" in data,
        "inner_bom": data.find(BOM, 1) >= 0,  # one at the very start is the encoding's
        "newlines_before": [data[:start].count(b"\n") for start in range(0, len(data), step)],
        # lines and blank lines at the end as Python counts them, where no lone CR makes the count moot
        "lines": None if re.search(rb"\r(?!\n)", data) else len(lines),
        "trailing_blank": None if re.search(rb"\r(?!\n)", data) or not lines or not any(lines) else trailing,
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(PIECES), max_size=60), block=st.sampled_from([4, 5, 8, 16, 64]))
def test_the_scan_says_what_plain_python_says(tmp_path, monkeypatch, parts, block):
    data = b"".join(parts)
    monkeypatch.setattr(filescan, "BLOCK", block)
    monkeypatch.setattr(filescan, "STEP", 4 if block % 4 == 0 else block)
    path = tmp_path / "file.txt"
    path.write_bytes(data)
    facts = filescan.scan(path)
    want = expected(data, filescan.STEP)
    got = {"sha256": facts.sha256, "lone_cr": facts.lone_cr, "nul": facts.nul, "inner_bom": facts.inner_bom,
           "newlines_before": facts.newlines_before, "lines": facts.lines, "trailing_blank": facts.trailing_blank}
    if want["lines"] is None:
        del want["lines"], got["lines"]
    if want["trailing_blank"] is None:
        del want["trailing_blank"], got["trailing_blank"]
    assert got == want
