"""Bulk engine benchmark: ``--engine duckdb`` against a hand-written DuckDB query of the same checks.

    python bench/duckdb_engine.py                       # 10k, 100k and 1M orders, 3 rounds
    python bench/duckdb_engine.py --big                 # and 10M orders (about 2.2 GB; slow)
    python bench/duckdb_engine.py --sizes 100000 --repeat 5

For each size it generates (once, cached in --data) the All Orders report, Unshipped Orders report
and shipping-confirmation file of ``bench/generate.py`` and times, in --repeat rounds:

* floor     - one hand-written DuckDB query of the pack's checks over the same three files (the
              orders file read as ``read_csv`` with every column VARCHAR, statuses matched by hand),
              its rows fetched into Python: what a careful engineer writes for this data;
* duckdb    - order-guard's whole Amazon pack with ``--engine duckdb``, in-process (``run_check``):
              reading and hashing the files, DuckDB's scan, reading back and checking in Python
              what may fail, the report;
* streaming - the same with ``--engine streaming``, for the scaling curve;

wall and CPU time (user + system of all the process's threads) alike, since the machine is shared.
Each round runs the floor and the bulk engine once, one after the other; the ratio is the median of
the rounds' own ratios (a burst of other work falls on one round, not on every run of one of them).

and, in a child process each, the peak memory of order-guard with either engine. It prints the
ratio duckdb / floor against issue 6's target (at most 1.25x), time per million rows and peak
memory per size (the scaling curve), checks that both engines found the same, and the machine's
load average before and after (the machine is shared: absolute times mean little).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from streaming import paths_for  # noqa: E402  (the same data as the streaming bench)
from verdicts import judged_at, paired, rounds, verdict  # noqa: E402

AS_OF = "2026-11-26T12:00:00Z"
TARGET = 1.25


def _read(path: Path) -> str:
    """A tab-separated report as DuckDB reads it by hand: every column text, no quoting."""
    names = path.open(encoding="utf-8").readline().rstrip("\r\n").split("\t")
    columns = ", ".join(f"'{name}': 'VARCHAR'" for name in names)
    return (f"read_csv('{path}', delim = '\t', quote = '', escape = '', header = true, auto_detect = false, "
            f"columns = {{{columns}}})")


#: The Amazon pack's checks as one query (AMZ-PEND-002 and -006 have no columns or files to read here).
FLOOR = """
WITH orders AS MATERIALIZED (
    SELECT "amazon-order-id" AS id, "order-status" AS status, "fulfillment-channel" AS channel,
           CAST("purchase-date" AS TIMESTAMPTZ) AS purchased,
           "order-status" LIKE 'Pending%' AS pending
    FROM {orders}),
shipped AS (SELECT DISTINCT "order-id" AS id FROM {shipments}),
unshipped AS (SELECT DISTINCT "order-id" AS id FROM {unshipped}),
flagged AS (
    SELECT o.id, o.pending, o.status, o.channel IN ('Amazon', 'AFN') AS fba, o.purchased,
           o.id IN (SELECT id FROM shipped) AS has_shipment, o.id IN (SELECT id FROM unshipped) AS listed
    FROM orders AS o)
SELECT id, 'AMZ-PEND-001' FROM flagged WHERE pending AND has_shipment
UNION ALL SELECT id, 'AMZ-PEND-003' FROM flagged WHERE pending AND listed
UNION ALL SELECT id, 'AMZ-PEND-004' FROM flagged WHERE has_shipment AND NOT listed
    AND split_part(status, ' - ', 1) NOT IN ('Unshipped', 'PartiallyShipped', 'Shipped', 'InvoiceUnconfirmed',
                                            'Shipping')
UNION ALL SELECT id, 'AMZ-PEND-005' FROM flagged WHERE fba AND has_shipment
UNION ALL SELECT id, 'AMZ-PEND-007' FROM flagged WHERE split_part(status, ' - ', 1) NOT IN (
    'Pending', 'PendingAvailability', 'Unshipped', 'PartiallyShipped', 'Shipped', 'InvoiceUnconfirmed', 'Canceled',
    'Cancelled', 'Unfulfillable', 'Shipping')
UNION ALL SELECT id, 'AMZ-PEND-007' FROM shipped WHERE id NOT IN (SELECT id FROM orders)
UNION ALL SELECT id, 'AMZ-PEND-008' FROM flagged WHERE status = 'Pending'
    AND purchased < TIMESTAMPTZ '{as_of}' - INTERVAL 21 DAYS
UNION ALL SELECT id, 'AMZ-PEND-009' FROM flagged WHERE status IN ('Unshipped', 'PartiallyShipped', 'Shipping')
    AND NOT fba AND purchased <= TIMESTAMPTZ '{as_of}' - INTERVAL 28 DAYS AND NOT has_shipment
"""


def _cpu() -> float:
    """CPU seconds (user + system) of this process's threads and of its children waited for (a big
    file's digest is computed by a second process)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def floor(paths: dict[str, Path]) -> int:
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    query = FLOOR.format(orders=_read(paths["orders"]), shipments=_read(paths["shipments"]),
                         unshipped=_read(paths["unshipped"]), as_of=AS_OF.replace("T", " ").replace("Z", "+00"))
    rows = connection.execute(query).fetchall()
    connection.close()
    return len(rows)


def order_guard(paths: dict[str, Path], engine: str) -> dict:
    from order_guard.canonical import parse_datetime
    from order_guard.checking import CheckRequest, run_check
    from order_guard.datasets import DatasetRequest

    request = CheckRequest(datasets=[DatasetRequest(str(path)) for path in paths.values()],
                           as_of=parse_datetime(AS_OF), engine=engine)
    report, _ = run_check(request)
    return report.data


def peak_memory_mb(paths: dict[str, Path], engine: str) -> float:
    """Peak RSS of a child process running the check: VmHWM of its own memory map (ru_maxrss would
    count the parent's, which Linux carries across fork and exec)."""
    code = ("import json, re, sys, pathlib; sys.path.insert(0, sys.argv[1]); import duckdb_engine; "
            "duckdb_engine.order_guard({k: pathlib.Path(v) for k, v in json.loads(sys.argv[2]).items()}, sys.argv[3]); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])")
    argv = [str(Path(__file__).parent), json.dumps({key: str(value) for key, value in paths.items()}), engine]
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--big", action="store_true", help="also 10,000,000 orders")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "og-bench")
    args = parser.parse_args()
    os.environ["ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # measure the core, not whatever else is installed
    import duckdb

    sizes = args.sizes + ([10_000_000] if args.big else [])
    print(f"# bulk engine benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{platform.python_implementation()} {platform.python_version()}, DuckDB {duckdb.__version__}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}\n")
    rows = []
    for size in sizes:
        paths = paths_for(size, args.data)
        # CPU: user + system of every thread of this process (DuckDB's own and the bulk engine's file
        # scan too) and of the digest's process. On a shared machine the CPU time says what a run
        # costs; the wall time also says what others took from it.
        runs = rounds({"floor": (floor, paths), "duckdb": (order_guard, paths, "duckdb")}, args.repeat, cpu=_cpu)
        runs |= rounds({"streaming": (order_guard, paths, "streaming")},
                       1 if size >= 10_000_000 else args.repeat, cpu=_cpu)
        walls = {name: [wall for wall, _, _ in measured] for name, measured in runs.items()}
        cpus = {name: [cpu for _, cpu, _ in measured] for name, measured in runs.items()}
        floor_rows, bulk, streamed = (runs[name][-1][2] for name in ("floor", "duckdb", "streaming"))
        t_floor, t_duckdb, t_stream = (statistics.median(walls[name]) for name in ("floor", "duckdb", "streaming"))
        c_floor, c_duckdb, c_stream = (statistics.median(cpus[name]) for name in ("floor", "duckdb", "streaming"))
        engine = bulk.pop("engine")
        streamed.pop("engine")
        same = bulk == streamed
        memory = {name: peak_memory_mb(paths, name) for name in ("duckdb", "streaming")}
        ratio, cpu_ratio = paired(walls["duckdb"], walls["floor"]), paired(cpus["duckdb"], cpus["floor"])
        megabytes = paths["orders"].stat().st_size / 1e6
        print(f"## {size:,} orders ({megabytes:.0f} MB; {bulk['summary']['records_read']:,} records read, "
              f"{bulk['summary']['findings']:,} findings, the floor {floor_rows:,} rows; engines "
              f"{'agree' if same else 'DIFFER'}; {engine['used']}: {engine['reason']})\n")
        print(f"  floor {t_floor:7.2f} s   duckdb {t_duckdb:7.2f} s   streaming {t_stream:7.2f} s   (wall)")
        print(f"  floor {c_floor:7.2f} s   duckdb {c_duckdb:7.2f} s   streaming {c_stream:7.2f} s   (CPU, all threads;"
              f" duckdb / floor {cpu_ratio:.2f})")
        what = judged_at(size, sizes)("duckdb / hand-written query")
        print(f"  duckdb / floor     {verdict(ratio, f'<= {TARGET}', ratio <= TARGET, what)}")
        print(f"  streaming / duckdb   {t_stream / t_duckdb:6.2f}")
        print(f"  s per million rows:  floor {t_floor * 1e6 / size:.2f}, duckdb {t_duckdb * 1e6 / size:.2f}, "
              f"streaming {t_stream * 1e6 / size:.2f}")
        print(f"  peak memory (MB):    duckdb {memory['duckdb']:.0f}, streaming {memory['streaming']:.0f}\n")
        rows.append({"orders": size, "mb": round(megabytes), "floor_s": round(t_floor, 3),
                     "duckdb_s": round(t_duckdb, 3), "streaming_s": round(t_stream, 3), "ratio": round(ratio, 2),
                     "floor_cpu_s": round(c_floor, 3), "duckdb_cpu_s": round(c_duckdb, 3),
                     "streaming_cpu_s": round(c_stream, 3), "cpu_ratio": round(cpu_ratio, 2),
                     "duckdb_mb": round(memory["duckdb"]), "streaming_mb": round(memory["streaming"]),
                     "same": same})
        if not same:
            sys.exit("the engines found differently: a bug, please report it")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
