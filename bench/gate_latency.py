"""Gate latency benchmark (issue 6, target 3): order-guard as a pre-shipment gate.

    python bench/gate_latency.py                  # medians of 15 cold runs; 5 rounds of 10,000 checks
    python bench/gate_latency.py --repeat 31 --rounds 9
    python bench/gate_latency.py --compare /base/venv/bin/python  # another installation, same rounds
    /other/venv/bin/python bench/gate_latency.py  # the same against another installation

1. Cold command line: ``order-guard check orders1000.json ship1.txt -q`` (one shipping-confirmation
   line against 1,000 SP-API orders) in a new process each time, against a bare ``python -c pass``
   measured in the same run, interleaved (the machine is shared: only ratios mean something).
   Lines: the gate with its caches warm (the everyday case), and with ``ORDER_GUARD_NO_CACHE=1``.
   Target: at most 5x ``python -c pass``.
2. In-process: a ``Guard`` gate (``Guard().gate(datasets)``) with its datasets (a day's
   shipping-confirmation lines and an Unshipped Orders report for 1,000 orders) loaded once
   checks those 1,000 orders one at a time, round and round; p50 and p99 per order over
   --checks checks, in --rounds rounds (the median round is the result: a shared machine's
   scheduler decides a round's tail more than the code does). Target: p99 at most 50 microseconds.

The children run with a fresh cache directory and with byte-code writing on (an installed
package has its .pyc files; ``PYTHONDONTWRITEBYTECODE`` would make every run compile).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verdicts import verdict  # noqa: E402

AS_OF = datetime(2026, 11, 26, 12, tzinfo=UTC)
RATIO_TARGET = 5.0
P99_TARGET_US = 50.0
SHIP_HEADER = "order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method"


def canonical_orders(count: int) -> list[dict]:
    """``count`` orders in canonical field names: mostly actionable, some Pending, a few FBA."""
    statuses = ["Unshipped", "Shipped", "Unshipped", "Pending", "PartiallyShipped", "Unshipped", "Canceled",
                "PendingAvailability"]
    orders = []
    for n in range(count):
        status = statuses[n % len(statuses)]
        orders.append({
            "order_id": f"405-{n:07d}-{n * 7 % 10_000_000:07d}",
            "status": status,
            "fulfillment_channel": "AFN" if n % 11 == 0 else "MFN",
            "sales_channel": "Amazon.it",
            "purchase_date": f"2026-11-{1 + n % 25:02d}T{n % 24:02d}:15:00Z",
            "last_update_date": f"2026-11-{1 + n % 25:02d}T{n % 24:02d}:45:00Z",
            "order_total": None if status.startswith("Pending") else f"{9.5 * (1 + n % 3):.2f}",
            "currency": "EUR",
            "items_shipped": 1 if status == "Shipped" else 0,
            "items_unshipped": 0 if status == "Shipped" else 1 + n % 3,
            "items": [{"order_item_id": f"6301{n:010d}", "sku": f"SKU-{n % 200:04d}", "quantity": 1 + n % 3,
                       "quantity_shipped": 0}],
        })
    return orders


def v0_document(orders: list[dict]) -> dict:
    """The same orders as an Orders API v0 ``getOrders`` page."""
    def v0(order: dict) -> dict:
        out = {"AmazonOrderId": order["order_id"], "OrderStatus": order["status"],
               "PurchaseDate": order["purchase_date"], "LastUpdateDate": order["last_update_date"],
               "FulfillmentChannel": order["fulfillment_channel"], "SalesChannel": order["sales_channel"],
               "NumberOfItemsShipped": order["items_shipped"], "NumberOfItemsUnshipped": order["items_unshipped"],
               "OrderItems": [{"OrderItemId": item["order_item_id"], "SellerSKU": item["sku"],
                               "QuantityOrdered": item["quantity"], "QuantityShipped": 0}
                              for item in order["items"]]}
        if order["order_total"]:
            out["OrderTotal"] = {"CurrencyCode": "EUR", "Amount": order["order_total"]}
        return out

    return {"payload": {"Orders": [v0(order) for order in orders]}}


def gate_datasets(orders: list[dict]) -> dict[str, list[dict]]:
    """A day's shipping-confirmation lines (every 10th order) and the Unshipped report."""
    shipments = [{"order_id": order["order_id"], "order_item_id": order["items"][0]["order_item_id"],
                  "quantity": order["items"][0]["quantity"], "ship_date": "2026-11-26", "carrier_code": "BRT",
                  "tracking_number": f"BRT{index:010d}"}
                 for index, order in enumerate(orders) if index % 10 == 0]
    unshipped = [{"order_id": order["order_id"], "order_item_id": order["items"][0]["order_item_id"],
                  "sku": order["items"][0]["sku"], "quantity": order["items"][0]["quantity"]}
                 for order in orders if order["status"] in ("Unshipped", "PartiallyShipped")]
    return {"shipments": shipments, "unshipped-report": unshipped}


def write_cli_data(folder: Path, orders: list[dict]) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    orders_file, ship_file = folder / "orders1000.json", folder / "ship1.txt"
    orders_file.write_text(json.dumps(v0_document(orders), indent=1), encoding="utf-8")
    first = orders[1]
    ship_file.write_text(f"{SHIP_HEADER}\r\n{first['order_id']}\t{first['items'][0]['order_item_id']}\t1\t"
                         "2026-11-26\tBRT\t\tBRT0000000001\tStandard\r\n", encoding="utf-8")
    return orders_file, ship_file


def gate_command(python: str) -> list[str]:
    """The installed ``order-guard`` script beside ``python``, as a warehouse script calls it."""
    script = Path(python).parent / "order-guard"
    return [str(script)] if script.exists() else [python, "-m", "order_guard"]


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; CPU time (user + system) is less disturbed by other load."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        failed = subprocess.run(command, capture_output=True, env=env)
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {failed.stderr.decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def cold_cli(python: str, orders_file: Path, ship_file: Path, repeat: int,
             compare: list[str] = ()) -> dict[str, tuple[float, float]]:
    """Medians of ``repeat`` interleaved runs of each variant: (wall seconds, CPU seconds).
    ``compare``: the Pythons of other installations, whose warm gates run in the same rounds."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["ORDER_GUARD_CACHE_DIR"] = tempfile.mkdtemp(prefix="og-gate-cache-")
    check = [*gate_command(python), "check", str(orders_file), str(ship_file), "-q"]
    variants = {
        "python -c pass": ([python, "-c", "pass"], env),
        "gate, caches warm": (check, env),
        "gate, ORDER_GUARD_NO_CACHE=1": (check, {**env, "ORDER_GUARD_NO_CACHE": "1"}),
    }
    for other in compare:  # each installation with caches of its own (keys differ between them)
        variants[f"gate, caches warm: {other}"] = (
            [*gate_command(other), "check", str(orders_file), str(ship_file), "-q"],
            {**env, "ORDER_GUARD_CACHE_DIR": tempfile.mkdtemp(prefix="og-gate-cache-")})
    for command, variant_env in variants.values():  # warm-up: .pyc files, the caches, the disk cache
        run_once(command, variant_env)
        run_once(command, variant_env)
    time.sleep(3.5)  # an entry-point cache is written only once what it describes is seconds old
    for command, variant_env in variants.values():
        run_once(command, variant_env)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, (command, variant_env) in variants.items():
            times[name].append(run_once(command, variant_env))
    return {name: (statistics.median(wall for wall, _ in runs), statistics.median(cpu for _, cpu in runs))
            for name, runs in times.items()}


def in_process(checks: int, rounds: int) -> tuple[float, list[tuple[float, float]], int]:
    """(load seconds, [(p50 µs, p99 µs) per round], findings per round) of single-order checks."""
    from order_guard.guard import Guard

    orders = canonical_orders(1000)
    start = time.perf_counter()
    gate = Guard(as_of=AS_OF).gate(gate_datasets(orders))
    loaded = time.perf_counter() - start
    clock = time.perf_counter_ns
    results = []
    for _ in range(rounds):
        samples = []
        findings = 0
        for index in range(checks):
            order = orders[index % len(orders)]
            begin = clock()
            found = gate.check(order)
            samples.append(clock() - begin)
            findings += len(found)
        samples.sort()
        results.append((samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000))
    return loaded, results, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="cold runs per variant (median)")
    parser.add_argument("--checks", type=int, default=10_000, help="single-order checks in-process, per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of --checks checks (the median round counts)")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "og-bench" / "gate")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-guard", action="store_true")
    parser.add_argument("--compare", nargs="+", default=[], metavar="PYTHON",
                        help="also time the warm gate of these installations' Pythons, in the same rounds")
    args = parser.parse_args()
    print(f"# gate latency, {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cpus, "
          f"Python {platform.python_version()} ({sys.executable})")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("  (PYTHONDONTWRITEBYTECODE is set here; the timed children run without it)")
    orders = canonical_orders(1000)
    if not args.skip_cli:
        orders_file, ship_file = write_cli_data(args.data, orders)
        medians = cold_cli(sys.executable, orders_file, ship_file, args.repeat, args.compare)
        floor_wall, floor_cpu = medians["python -c pass"]
        print(f"cold command line, medians of {args.repeat} interleaved runs (wall clock; CPU time, user + system):")
        width = max(map(len, medians))
        for name, (wall, cpu) in medians.items():
            line = f"  {name:{width}s} {wall * 1000:7.1f} ms {wall / floor_wall:5.2f}x   cpu {cpu * 1000:6.1f} ms " \
                   f"{cpu / floor_cpu:5.2f}x"
            print(line)
        ratio = medians["gate, caches warm"][0] / floor_wall
        print(f"  gate / python -c pass (wall, caches warm) "
              f"{verdict(ratio, f'<= {RATIO_TARGET:.0f}', ratio <= RATIO_TARGET, 'cold gate / python -c pass')}")
    if not args.skip_guard:
        loaded, rounds, findings = in_process(args.checks, args.rounds)
        datasets = gate_datasets(orders)
        print(f"in-process gate ({len(datasets['shipments'])} shipment lines and an Unshipped report of "
              f"{len(datasets['unshipped-report'])} lines, loaded in {loaded * 1000:.0f} ms), {args.rounds} rounds of "
              f"{args.checks} single-order checks of 1,000 orders ({findings} findings a round):")
        p50, p99 = sorted(rounds, key=lambda round_: round_[1])[len(rounds) // 2]
        print(f"  per order, median round: p50 {p50:6.1f} µs  p99 {p99:6.1f} µs")
        target = f"<= {P99_TARGET_US:.0f}"
        print(f"  p99 µs, median round {verdict(p99, target, p99 <= P99_TARGET_US, 'Guard gate p99 µs per order')}")
        print("  p99 of each round: " + ", ".join(f"{round_[1]:.1f}" for round_ in rounds) + " µs")

if __name__ == "__main__":
    main()
