"""Streaming engine benchmark: order-guard against baselines measured in the same run.

    python bench/streaming.py                 # 100k and 1M orders (about two minutes)
    python bench/streaming.py --sizes 10000 100000 --repeat 3

For each size it generates (once, cached in --data) an All Orders report, an Unshipped Orders
report and a shipping-confirmation file, then times, as the median of --repeat runs:

* floor      - a bare ``csv.reader`` pass over the All Orders file (parsing only)
* dictreader - a careful hand-written ``csv.DictReader`` loop doing the same Pending checks
* jsonschema - per-row ``jsonschema`` validation of the same checks (a schema-first tool)
* order-guard - the full Amazon pack over the three files, in-process (``run_check``)

and, in a child process each, order-guard's peak memory. It prints the ratios against the
targets of issue 6; absolute times on a shared machine mean little.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402

AS_OF = "2026-11-26T12:00:00Z"
PENDING = {"Pending", "PENDING", "PendingAvailability", "Pending - Waiting for Pick Up"}
ACTIONABLE = {"Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed", "Shipping"}


def paths_for(size: int, data: Path) -> dict[str, Path]:
    paths = {"orders": data / f"all-orders-{size}.txt", "unshipped": data / f"unshipped-{size}.txt",
             "shipments": data / f"ship-confirm-{size}.txt"}
    if not all(path.exists() for path in paths.values()):
        paths = generate(size, data)
    return paths


def floor(paths: dict[str, Path]) -> int:
    with open(paths["orders"], newline="", encoding="utf-8") as stream:
        return sum(1 for _ in csv.reader(stream, delimiter="\t"))


def _keys(path: Path, column: str) -> set[str]:
    with open(path, newline="", encoding="utf-8") as stream:
        return {row[column] for row in csv.DictReader(stream, delimiter="\t")}


def dictreader(paths: dict[str, Path]) -> int:
    """What a careful engineer writes by hand for the same checks."""
    shipped, unshipped = _keys(paths["shipments"], "order-id"), _keys(paths["unshipped"], "order-id")
    as_of = datetime.fromisoformat(AS_OF.replace("Z", "+00:00"))
    findings = 0
    with open(paths["orders"], newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream, delimiter="\t"):
            order, status = row["amazon-order-id"], row["order-status"]
            pending = status.startswith("Pending")
            age = (as_of - datetime.fromisoformat(row["purchase-date"])).days
            has_shipment = order in shipped
            findings += pending and has_shipment
            findings += pending and order in unshipped
            findings += has_shipment and status.split(" - ")[0] not in ACTIONABLE and order not in unshipped
            findings += has_shipment and row["fulfillment-channel"] in ("Amazon", "AFN")
            findings += status == "Pending" and age > 21
            findings += status in ("Unshipped", "PartiallyShipped") and age >= 28 and not has_shipment
    return findings


def jsonschema_rows(paths: dict[str, Path], limit: int) -> float:
    """Seconds per row of per-row jsonschema validation of a Pending check (measured on ``limit`` rows)."""
    import jsonschema

    schema = {"type": "object", "properties": {"order-status": {"type": "string"}},
              "if": {"properties": {"order-status": {"pattern": "^Pending"}}},
              "then": {"properties": {"fulfillment-channel": {"not": {"enum": ["Amazon", "AFN"]}},
                                      "order-status": {"not": {"const": "Shipped"}}}}}
    validator = jsonschema.Draft202012Validator(schema)
    start = time.perf_counter()
    with open(paths["orders"], newline="", encoding="utf-8") as stream:
        for count, row in enumerate(csv.DictReader(stream, delimiter="\t")):
            if count == limit:
                break
            for _ in validator.iter_errors(row):
                pass
    return (time.perf_counter() - start) / limit


def order_guard(paths: dict[str, Path]) -> dict:
    from order_guard.canonical import parse_datetime
    from order_guard.checking import CheckRequest, run_check
    from order_guard.datasets import DatasetRequest

    request = CheckRequest(datasets=[DatasetRequest(str(path)) for path in paths.values()],
                           as_of=parse_datetime(AS_OF))
    report, _ = run_check(request)
    return report.summary


def timed(function, *args, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_memory_mb(paths: dict[str, Path]) -> float:
    """Peak RSS of a child process running the check (ru_maxrss is in KiB on Linux)."""
    code = ("import resource, sys; sys.path.insert(0, %r); import streaming; "
            "streaming.order_guard({k: __import__('pathlib').Path(v) for k, v in %r.items()}); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)") % (
        str(Path(__file__).parent), {key: str(value) for key, value in paths.items()})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1]) / 1024


def verdict(value: float, target: str, ok: bool) -> str:
    return f"{value:8.2f}  (target {target}: {'met' if ok else 'NOT met'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "og-bench")
    args = parser.parse_args()
    os.environ["ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # measure the core, not whatever else is installed
    print(f"# streaming benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores\n")
    memory = {}
    for size in args.sizes:
        paths = paths_for(size, args.data)
        t_floor, rows = timed(floor, paths, repeat=args.repeat)
        t_dict, _ = timed(dictreader, paths, repeat=args.repeat)
        t_og, summary = timed(order_guard, paths, repeat=args.repeat)
        per_row_schema = jsonschema_rows(paths, min(size, 20_000))
        t_schema = per_row_schema * (rows - 1)
        memory[size] = peak_memory_mb(paths)
        print(f"## {size:,} orders ({paths['orders'].stat().st_size / 1e6:.0f} MB; "
              f"{summary['records_read']:,} records read, {summary['findings']:,} findings)\n")
        print(f"  rows/s: floor {rows / t_floor:,.0f}; dictreader {rows / t_dict:,.0f}; "
              f"order-guard {rows / t_og:,.0f}; jsonschema {1 / per_row_schema:,.0f}")
        print(f"  order-guard / floor       {verdict(t_og / t_floor, '<= 2.0', t_og / t_floor <= 2.0)}")
        print(f"  order-guard / dictreader  {verdict(t_og / t_dict, '< 1.0', t_og < t_dict)}")
        print(f"  jsonschema / order-guard  {verdict(t_schema / t_og, '>= 20', t_schema / t_og >= 20)}")
        print(f"  peak memory (MB)          {verdict(memory[size], '<= 60', memory[size] <= 60)}\n")
    if len(memory) > 1:
        small, big = min(memory), max(memory)
        ratio = memory[big] / memory[small]
        print(f"memory {big:,} / {small:,} orders     {verdict(ratio, '<= 1.2', ratio <= 1.2)}")
    print(json.dumps({"memory_mb": memory}))


if __name__ == "__main__":
    main()
