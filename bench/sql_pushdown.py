"""SQL pushdown against streaming and against a hand-written query of the same checks, in PostgreSQL.

Loads N orders (default 5 million) into a table of its own with COPY, then
times, in one run:

* pushdown: ``order-guard check --dataset orders=postgresql+psycopg://...?table=T`` (the Amazon pack;
  the database runs the checks, Python re-checks what it returns);
* streaming: the same command with ``ORDER_GUARD_SQL_PUSHDOWN=off`` (every row read in Python);
* the floor: one hand-written SELECT of the same checks, its rows fetched by psycopg.

It prints the times and the ratios (pushdown / floor, streaming / floor, streaming / pushdown), checks
that pushdown and streaming found the same, and drops its table. Usage::

    .venv/bin/python bench/sql_pushdown.py                  # 5,000,000 orders
    .venv/bin/python bench/sql_pushdown.py --orders 200000  # a quick run
    ORDER_GUARD_BENCH_POSTGRES_URL=postgresql+psycopg://user@host/db .venv/bin/python bench/sql_pushdown.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

AS_OF = datetime(2026, 11, 26, 12, tzinfo=UTC)
URL = os.environ.get("ORDER_GUARD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "order-guard"

COLUMNS = ("order_id text PRIMARY KEY, status text, fulfillment_channel text, purchase_date timestamptz, "
           "tracking_number text, ship_date timestamptz, items_shipped integer, ship_address_1 text, "
           "buyer_email text, buyer_name text, order_total numeric(12,2), currency text")
STATUSES = ["Unshipped"] * 40 + ["Shipped"] * 45 + ["Canceled"] * 5 + ["Pending"] * 6 + ["PendingAvailability"] * 2 \
    + ["PartiallyShipped"] * 1 + ["OnHold"] * 1

#: The same checks as the pack's orders checks, written by hand (no shipments or reports in this run,
#: so the look-ups of AMZ-PEND-001/003/004/005 find nothing).
FLOOR = """
SELECT order_id FROM {table} WHERE
   (status IN ('Pending', 'PendingAvailability') AND (tracking_number <> '' OR ship_date IS NOT NULL
        OR items_shipped > 0))
OR (status IN ('Pending', 'PendingAvailability') AND (ship_address_1 <> '' OR buyer_email <> '' OR buyer_name <> ''))
OR (status IS NULL OR status NOT IN ('Pending', 'PendingAvailability', 'Unshipped', 'PartiallyShipped', 'Shipped',
        'InvoiceUnconfirmed', 'Canceled', 'Unfulfillable'))
OR (status = 'Pending' AND purchase_date < %(pending)s)
OR (status IN ('Unshipped', 'PartiallyShipped') AND fulfillment_channel IS DISTINCT FROM 'AFN'
        AND purchase_date <= %(cancel)s)
"""


def load(connection, table: str, orders: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} ({COLUMNS})")
        with cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for number in range(orders):
                status = rng.choice(STATUSES)
                pending = status.startswith("Pending")
                days = 40 if rng.random() < 0.01 else 20  # one order in a hundred is old enough to matter
                purchase = AS_OF - timedelta(minutes=rng.randint(0, 60 * 24 * days))
                copy.write_row((
                    f"{100 + number % 900}-{number:07d}-{rng.randint(1000000, 9999999)}", status,
                    "AFN" if rng.random() < 0.3 else "MFN", purchase,
                    None if pending and rng.random() < 0.99 else f"1Z{number}",
                    None if status not in ("Shipped",) else purchase + timedelta(days=1),
                    0 if status != "Shipped" else 1,
                    None if pending and rng.random() < 0.995 else "1 Example Street",
                    None, None, f"{rng.randint(100, 9999) / 100:.2f}", "EUR"))
    connection.commit()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    connection.commit()
    print(f"loaded {orders:,} orders in {time.perf_counter() - start:.1f} s", flush=True)


def run_cli(table: str, pushdown: bool) -> tuple[float, dict]:
    env = {**os.environ, "ORDER_GUARD_SQL_PUSHDOWN": "on" if pushdown else "off"}
    start = time.perf_counter()
    done = subprocess.run([str(CLI), "check", "--dataset", f"orders={URL}?table={table}", "--as-of",
                           AS_OF.isoformat(), "--format", "json", "-q", "--fail-on", "none"],
                          capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"order-guard failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, json.loads(done.stdout)


def run_floor(connection, table: str) -> tuple[float, int]:
    start = time.perf_counter()
    with connection.cursor(name="floor") as cursor:
        cursor.itersize = 5000
        cursor.execute(FLOOR.format(table=table), {"pending": AS_OF - timedelta(days=21),
                                                   "cancel": AS_OF - timedelta(days=28)})
        rows = sum(1 for _ in cursor)
    connection.commit()
    return time.perf_counter() - start, rows


def main() -> None:
    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5_000_000)
    args = parser.parse_args()
    table = f"og_bench_{uuid.uuid4().hex[:8]}"
    dsn = URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        try:
            load(connection, table, args.orders)
            floor, floor_rows = run_floor(connection, table)
            print(f"floor (hand-written query): {floor:.2f} s, {floor_rows:,} rows", flush=True)
            pushed, pushed_report = run_cli(table, pushdown=True)
            print(f"pushdown: {pushed:.2f} s, {pushed_report['summary']['findings']:,} findings", flush=True)
            streamed, streamed_report = run_cli(table, pushdown=False)
            print(f"streaming: {streamed:.2f} s, {streamed_report['summary']['findings']:,} findings", flush=True)
        finally:
            connection.rollback()
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.commit()
    same = pushed_report["findings"] == streamed_report["findings"] and \
        pushed_report["summary"]["records_read"] == streamed_report["summary"]["records_read"] == args.orders
    print(f"\n{args.orders:,} orders in PostgreSQL, the Amazon pack ({'same' if same else 'DIFFERENT'} findings; "
          f"{floor_rows:,} orders fail a check)")
    print(f"  pushdown / floor:     {pushed / floor:6.2f}x  ({pushed:.2f} s vs {floor:.2f} s)")
    print(f"  streaming / floor:    {streamed / floor:6.2f}x  ({streamed:.2f} s)")
    print(f"  streaming / pushdown: {streamed / pushed:6.2f}x")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
