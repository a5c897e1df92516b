"""Which format a flat-file header or a JSON document is in: shared by every source.

The file source uses it for files; the SP-API source for report documents and
API pages. A guess that could turn a shipping file into an orders dataset is
refused: the user names the kind instead (``--dataset KIND=...``).
"""

from __future__ import annotations

from typing import Any

from order_guard.errors import SourceError
from order_guard.registry import Registry
from order_guard.types import FlatFormat, JsonFormat


def _candidates(registry: Registry, container: str, kind: str | None) -> list[Any]:
    return [fmt for fmt in registry.formats_for(container) if kind in (None, fmt.kind)]


def detect_flat_format(location: object, names: list[str], registry: Registry, kind: str | None = None) -> FlatFormat:
    """The format whose required columns fit best. Formats of different kinds that fit
    equally are ambiguous: reading a shipping file as orders would let a Pending order
    ship, so the user must name the kind."""
    header = frozenset(names)
    scored = [(fmt.matches(header), fmt) for fmt in _candidates(registry, "flat", kind)]
    scored = [(score, fmt) for score, fmt in scored if score[0]]
    if not scored:
        raise SourceError(location, _unrecognised_header(names, registry, kind), line=1)
    most_required = max(score[0] for score, _ in scored)
    contenders = [(score, fmt) for score, fmt in scored if score[0] == most_required]
    kinds = sorted({fmt.kind for _, fmt in contenders})
    if len(kinds) > 1:
        raise SourceError(location, "header fits several kinds of data (" + ", ".join(
            f"{fmt.kind}: {fmt.name}" for _, fmt in contenders) + "); name it with --dataset KIND=PATH", line=1)
    best_score = max(score for score, _ in contenders)
    best = [fmt for score, fmt in contenders if score == best_score]
    if len(best) > 1:
        raise SourceError(location, "header fits several formats (" + ", ".join(f.name for f in best)
                          + "); name the kind with --dataset KIND=PATH", line=1)
    return best[0]


def _unrecognised_header(names: list[str], registry: Registry, kind: str | None) -> str:
    """Why no format fits, naming only columns some format knows: an unknown "header"
    may be a data row holding buyer data, which must not be echoed."""
    if not any(names):
        return "the file is empty"
    known = {alias for fmt in registry.formats_for("flat") for aliases in fmt.columns.values() for alias in aliases}
    recognised = [name for name in names if name in known]
    wanted = f" for kind {kind}" if kind else ""
    if not recognised:
        return f"no known flat-file format{wanted} fits this header: none of its {len(names)} columns is known " \
               "(is the header row missing?)"
    return f"no known flat-file format{wanted} fits this header (known columns: {', '.join(recognised[:8])})"


def detect_json_format(location: object, document: Any, registry: Registry, kind: str | None = None) -> JsonFormat:
    if isinstance(document, dict) and isinstance(document.get("errors"), list) and len(document) == 1:
        first = document["errors"][0] if document["errors"] else {}
        code, message = (first.get("code"), first.get("message")) if isinstance(first, dict) else (first, "")
        raise SourceError(location, f"an SP-API error response, not data: {code}: {message}")
    matching = [fmt for fmt in _candidates(registry, "json", kind) if fmt.detect(document)]
    if not matching:
        wanted = f" of kind {kind}" if kind else ""
        raise SourceError(location, f"not a known JSON format{wanted} (expected an SP-API orders response, "
                                "a list of orders, or confirmShipment bodies)", line=1)
    if len(matching) > 1:
        raise SourceError(location, "document fits several formats (" + ", ".join(f.name for f in matching) + ")")
    return matching[0]
