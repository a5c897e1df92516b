"""Verdicts on issue 6's targets: printed where a benchmark measures them, and written as JSON
lines for ``bench/run.py``'s summary when the environment names a file for them."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable

#: Where ``bench/run.py`` collects every benchmark's verdicts (one JSON object a line).
VERDICTS_FILE = "ORDER_GUARD_BENCH_VERDICTS"


def verdict(value: float, target: str, ok: bool, what: str | None = None) -> str:
    """``value`` against ``target`` ("<= 2.0"), as printed; recorded under ``what`` if given."""
    if what is not None and (path := os.environ.get(VERDICTS_FILE)):
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"what": what, "value": round(value, 2), "target": target, "met": ok}) + "\n")
    return f"{value:8.2f}  (target {target}: {'met' if ok else 'NOT met'})"


def judged_at(size: int, sizes: list[int]) -> Callable[[str], str | None]:
    """``what -> the verdict's name`` at ``size`` orders, or None where the summary leaves it out:
    issue 6 states its targets for a million orders (and more); smaller sizes show the scaling
    curve (start-up weighs on them) unless no size of the run is that large."""
    judged = size >= 1_000_000 or max(sizes) < 1_000_000
    return lambda what: f"{what}, {size:,} orders" if judged else None


def rounds(contenders: dict[str, tuple], repeat: int,
           cpu: Callable[[], float] = time.process_time) -> dict[str, list[tuple[float, float, object]]]:
    """``name -> [(wall seconds, CPU seconds, result) of each round]``: each round runs every
    contender (``name -> (function, *args)``) once, in turn, so a burst of other work on a shared
    machine falls on one round, not on every run of one contender. ``cpu``: the CPU clock."""
    runs: dict[str, list[tuple[float, float, object]]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, (function, *args) in contenders.items():
            start, used = time.perf_counter(), cpu()
            result = function(*args)
            runs[name].append((time.perf_counter() - start, cpu() - used, result))
    return runs


def paired(numerator: list[float], denominator: list[float]) -> float:
    """The median of the rounds' own ratios (see :func:`rounds`)."""
    return statistics.median(a / b for a, b in zip(numerator, denominator, strict=True))
