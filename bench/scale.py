"""Scale: 1 million and 10 million orders, from a flat file and from SQLite, in bounded memory.

    python bench/scale.py                          # 1M and 10M orders (long: a 4.8 GB file, a 10M-row database)
    python bench/scale.py --sizes 100000 1000000   # a quick run

For each size it runs ``order-guard check`` as a user would (a child process, the Amazon pack) over

* flat   - an All Orders report, an Unshipped Orders report and a shipping-confirmation file
           (``bench/generate.py``; cached in --data);
* sqlite - the same orders in an SQLite table (built once, cached in --data),

and prints wall time and peak memory (the child's maximum resident set), and the peak of the
largest run over the peak of the smallest for each source against the target of issue 7
(at most 1.5x: memory is flat in the number of orders).
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from streaming import AS_OF, paths_for  # noqa: E402
from verdicts import verdict  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("order-guard")
#: All Orders columns and the canonical column names the SQL source reads.
SQL_COLUMNS = {"amazon-order-id": "order_id", "order-status": "status", "fulfillment-channel": "fulfillment_channel",
               "purchase-date": "purchase_date", "last-updated-date": "last_update_date", "sku": "sku",
               "quantity": "quantity", "currency": "currency", "item-price": "order_total"}


def sqlite_of(orders: Path, database: Path) -> Path:
    """The All Orders rows as an SQLite table ``orders`` (one row per order: its first item)."""
    if database.exists():
        return database
    partial = database.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(partial) as connection, open(orders, newline="", encoding="utf-8") as stream:
        rows = csv.DictReader(stream, delimiter="\t")
        names = list(SQL_COLUMNS.values())
        connection.execute(f"CREATE TABLE orders ({', '.join(name + ' TEXT' for name in names)}, "
                           "PRIMARY KEY (order_id))")
        batch, last = [], None
        for row in rows:
            if row["amazon-order-id"] == last:
                continue  # more items of the same order
            last = row["amazon-order-id"]
            batch.append(tuple(row[column] or None for column in SQL_COLUMNS))
            if len(batch) == 100_000:
                connection.executemany(f"INSERT INTO orders VALUES ({', '.join('?' * len(names))})", batch)
                batch = []
        connection.executemany(f"INSERT INTO orders VALUES ({', '.join('?' * len(names))})", batch)
    partial.rename(database)
    return database


def run(arguments: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak MB and exit code of ``order-guard check ARGUMENTS``."""
    code = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)"
            ".returncode; print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(CLI), "check", *arguments, "--as-of", AS_OF,
                          "--format", "json", "-q"], capture_output=True, text=True, check=True).stdout.split()
    return time.perf_counter() - start, int(out[0]) / 1024, int(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "og-bench")
    args = parser.parse_args()
    os.environ.pop("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", None)  # the SQL source is a plugin
    print("| source | orders | seconds | peak MB | exit |")
    print("|---|---|---|---|---|")
    peaks: dict[str, dict[int, float]] = {"flat": {}, "sqlite": {}}
    for size in args.sizes:
        paths = paths_for(size, args.data)
        database = sqlite_of(paths["orders"], args.data / f"orders-{size}.sqlite")
        runs = {"flat": [str(path) for path in paths.values()],
                "sqlite": ["--dataset", f"orders=sqlite:///{database}?table=orders",
                           "--dataset", f"shipments={paths['shipments']}"]}
        for source, arguments in runs.items():
            seconds, peak, code = run(arguments)
            peaks[source][size] = peak
            print(f"| {source} | {size:,} | {seconds:.1f} | {peak:.1f} | {code} |", flush=True)
    print()
    for source, by_size in peaks.items():
        small, big = min(by_size), max(by_size)
        ratio = by_size[big] / by_size[small]
        print(f"{source}: peak memory {big:,} / {small:,} orders  {verdict(ratio, '<= 1.5', ratio <= 1.5)}")


if __name__ == "__main__":
    main()
