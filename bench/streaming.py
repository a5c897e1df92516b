"""Streaming engine benchmark: order-guard against baselines measured in the same run.

    python bench/streaming.py                 # 10k, 100k and 1M orders (a few minutes)
    python bench/streaming.py --big           # and 10M orders (a 4.8 GB file; long)
    python bench/streaming.py --sizes 10000 100000 --repeat 3

For each size it generates (once, cached in --data) an All Orders report, an Unshipped Orders
report and a shipping-confirmation file, then times, in --repeat rounds of one run of each:

* floor      - a bare ``csv.reader`` pass over the All Orders file (parsing only)
* dictreader - a careful hand-written ``csv.DictReader`` loop doing the same Pending checks
* jsonschema - per-row ``jsonschema`` validation of the same checks (a schema-first tool)
* order-guard - the full Amazon pack over the three files, in-process (``run_check``), and the
  same with ``--jobs`` processes (2 by default)

and, in a child process each, order-guard's peak memory. It prints the ratios against the
targets of issue 6; absolute times on a shared machine mean little. A ratio is the median of the
rounds' own ratios: each round runs every contender once, one after another, so a burst of other
work on the machine falls on one round, not on every run of one contender.
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
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import data_paths, generate  # noqa: E402
from verdicts import judged_at, paired, rounds, verdict  # noqa: E402

AS_OF = "2026-11-26T12:00:00Z"
PENDING = {"Pending", "PENDING", "PendingAvailability", "Pending - Waiting for Pick Up"}
ACTIONABLE = {"Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed", "Shipping"}


def paths_for(size: int, data: Path) -> dict[str, Path]:
    paths = data_paths(size, data)
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
    """Seconds per row of per-row jsonschema validation of the pack's row-level checks, as far as
    JSON Schema can say them (no look-ups into other files), measured on ``limit`` rows."""
    import jsonschema

    pending = {"properties": {"order-status": {"pattern": "^Pending"}}}
    empty = {"maxLength": 0}
    schema = {"type": "object", "required": ["amazon-order-id", "order-status"], "allOf": [
        # never shipped while Pending
        {"if": pending, "then": {"properties": {"item-status": {"not": {"const": "Shipped"}}}}},
        # no address or buyer contact while Pending
        {"if": pending, "then": {"properties": {name: empty for name in (
            "ship-address-1", "ship-address-2", "ship-address-3", "recipient-name", "buyer-email", "buyer-name",
            "buyer-phone-number", "ship-phone-number")}}},
        # FBA orders are Amazon's to ship
        {"if": pending, "then": {"properties": {"fulfillment-channel": {"not": {"enum": ["Amazon", "AFN"]}}}}},
        # a status Amazon publishes
        {"properties": {"order-status": {"pattern": "^(Pending|Unshipped|PartiallyShipped|Shipped|Shipping|"
                                                    "Cancell?ed|InvoiceUnconfirmed|Unfulfillable)"}}},
    ]}
    validator = jsonschema.Draft202012Validator(schema)
    start = time.perf_counter()
    with open(paths["orders"], newline="", encoding="utf-8") as stream:
        for count, row in enumerate(csv.DictReader(stream, delimiter="\t")):
            if count == limit:
                break
            for _ in validator.iter_errors(row):
                pass
    return (time.perf_counter() - start) / limit


def order_guard(paths: dict[str, Path], jobs: int = 1) -> dict:
    """The streaming engine, named: ``auto`` would take the bulk engine for large files where DuckDB
    is installed (``bench/duckdb_engine.py`` measures that one)."""
    from order_guard.canonical import parse_datetime
    from order_guard.checking import CheckRequest, run_check
    from order_guard.datasets import DatasetRequest

    request = CheckRequest(datasets=[DatasetRequest(str(path)) for path in paths.values()],
                           as_of=parse_datetime(AS_OF), jobs=jobs, engine="streaming")
    report, _ = run_check(request)
    return report.summary


def peak_memory_mb(paths: dict[str, Path]) -> float:
    """Peak RSS of a child process running the check: VmHWM from /proc (ru_maxrss would carry
    this process's own peak across fork and exec, and this process ran the checks already)."""
    bench = str(Path(__file__).parent)
    files = {key: str(value) for key, value in paths.items()}
    code = (f"import sys; sys.path.insert(0, {bench!r}); import streaming; "
            f"streaming.order_guard({{k: __import__('pathlib').Path(v) for k, v in {files!r}.items()}}); "
            "print([line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1]) / 1024  # kB


def _spin(_: int = 0) -> None:
    total = 0
    for number in range(5_000_000):
        total += number


def machine_speedup(jobs: int) -> float:
    """How much faster ``jobs`` processes do ``jobs`` pieces of pure Python work than one process
    does them one after another: what the machine gives ``--jobs`` at this moment (a shared VM's
    two cores may give much less than 2)."""
    import multiprocessing

    start = time.perf_counter()
    for _ in range(jobs):
        _spin()
    alone = time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        start = time.perf_counter()
        pool.map(_spin, range(jobs))
        together = time.perf_counter() - start
    return alone / together


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--big", action="store_true", help="add 10,000,000 orders (a 4.8 GB file; one run)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the --jobs line (default 2)")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "og-bench")
    args = parser.parse_args()
    os.environ["ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # measure the core, not whatever else is installed
    sizes = args.sizes + ([10_000_000] if args.big else [])
    print(f"# streaming benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores\n")
    curve = []
    order_guard(paths_for(min(sizes), args.data))  # not timed: imports and the caches a first run fills
    for size in sizes:
        repeat = 1 if size >= 10_000_000 else args.repeat
        paths = paths_for(size, args.data)
        schema_rows = min(size, 20_000)
        runs = rounds({"floor": (floor, paths), "dictreader": (dictreader, paths),
                       "order-guard": (order_guard, paths), "jobs": (order_guard, paths, args.jobs),
                       "jsonschema": (jsonschema_rows, paths, schema_rows)}, repeat)
        seconds = {name: [wall for wall, _, _ in measured] for name, measured in runs.items()}
        results = {name: [result for _, _, result in measured] for name, measured in runs.items()}
        rows, summary = results["floor"][-1], results["order-guard"][-1]
        for parallel_summary in results["jobs"]:
            if parallel_summary != summary:
                raise SystemExit(f"--jobs {args.jobs} found differently: {parallel_summary} vs {summary}")
        # jsonschema_rows times itself, a row's seconds on its first rows: as for the whole file
        seconds["jsonschema"] = [per_row * (rows - 1) for per_row in results["jsonschema"]]
        per_row_schema = statistics.median(results["jsonschema"])
        t_floor, t_dict, t_og, t_jobs = (statistics.median(seconds[name]) for name in
                                         ("floor", "dictreader", "order-guard", "jobs"))
        memory = peak_memory_mb(paths)
        curve.append((size, t_og, t_jobs, memory))
        print(f"## {size:,} orders ({paths['orders'].stat().st_size / 1e6:.0f} MB; "
              f"{summary['records_read']:,} records read, {summary['findings']:,} findings; {repeat} rounds)\n")
        print(f"  rows/s: floor {rows / t_floor:,.0f}; dictreader {rows / t_dict:,.0f}; "
              f"order-guard {rows / t_og:,.0f}; --jobs {args.jobs} {rows / t_jobs:,.0f}; "
              f"jsonschema {1 / per_row_schema:,.0f}")
        at = judged_at(size, sizes)
        by_floor, by_dict = paired(seconds["order-guard"], seconds["floor"]), paired(seconds["order-guard"],
                                                                                   seconds["dictreader"])
        schema_by, speedup = paired(seconds["jsonschema"], seconds["order-guard"]), paired(seconds["order-guard"],
                                                                                           seconds["jobs"])
        machine = machine_speedup(args.jobs)
        print(f"  order-guard / floor       "
              f"{verdict(by_floor, '<= 2.0', by_floor <= 2.0, at('streaming / csv.reader floor'))}")
        print(f"  order-guard / dictreader  "
              f"{verdict(by_dict, '< 1.0', by_dict < 1.0, at('streaming / DictReader loop'))}")
        print(f"  jsonschema / order-guard  "
              f"{verdict(schema_by, '>= 20', schema_by >= 20, at('jsonschema / streaming'))}")
        jobs_what = at(f"--jobs {args.jobs} speed-up (the machine's own now: {machine:.2f})")
        print(f"  --jobs {args.jobs} speed-up         "
              f"{verdict(speedup, '>= 1.6', speedup >= 1.6, jobs_what)}"
              f"  (the machine's own {args.jobs}-process speed-up now: {machine:.2f})")
        print(f"  peak memory (MB)          {verdict(memory, '<= 60', memory <= 60, at('streaming peak MB'))}\n")
    print("## scaling (streaming engine)\n")
    print(f"| orders | seconds | µs per order | seconds, --jobs {args.jobs} | peak MB |")
    print("|---|---|---|---|---|")
    for size, t_og, t_jobs, memory in curve:
        print(f"| {size:,} | {t_og:.2f} | {t_og / size * 1e6:.1f} | {t_jobs:.2f} | {memory:.1f} |")
    memory_by_size = {size: memory for size, _, _, memory in curve}
    if 100_000 in memory_by_size and 1_000_000 in memory_by_size:
        ratio = memory_by_size[1_000_000] / memory_by_size[100_000]
        what = "streaming peak memory 1M / 100k"
        print(f"\nmemory 1,000,000 / 100,000 orders   {verdict(ratio, '<= 1.2', ratio <= 1.2, what)}")
    print(json.dumps({"memory_mb": memory_by_size}))


if __name__ == "__main__":
    main()
