"""Synthetic Amazon data for the benchmarks: an All Orders report, an Unshipped Orders report and
a shipping-confirmation file, in Amazon's real layouts, with a fixed seed (same bytes every run).

The All Orders report grows with --orders; the other two are a day's files and stay small, as
in a warehouse (the Unshipped report lists the newest unshipped orders, the confirmation file a
day's 2,000 parcels).

    python bench/generate.py --orders 1000000 --out /tmp/og-bench
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

ALL_ORDERS = ("amazon-order-id merchant-order-id purchase-date last-updated-date order-status fulfillment-channel "
              "sales-channel order-channel ship-service-level product-name sku asin item-status quantity currency "
              "item-price item-tax shipping-price shipping-tax gift-wrap-price gift-wrap-tax item-promotion-discount "
              "ship-promotion-discount ship-city ship-state ship-postal-code ship-country promotion-ids "
              "is-business-order purchase-order-number price-designation").split()
UNSHIPPED = ("order-id order-item-id purchase-date payments-date reporting-date promise-date days-past-promise "
             "buyer-email buyer-phone-number sku product-name quantity-purchased quantity-shipped quantity-to-ship "
             "ship-service-level recipient-name ship-address-1 ship-address-2 ship-address-3 ship-city ship-state "
             "ship-postal-code ship-country is-business-order purchase-order-number price-designation "
             "is-prime").split()
SHIP = "order-id order-item-id quantity ship-date carrier-code carrier-name tracking-number ship-method".split()
STATUSES = [("Shipped", 60), ("Unshipped", 20), ("Pending", 8), ("Cancelled", 5), ("Shipping", 5),
            ("Pending - Waiting for Pick Up", 2)]
SKUS = [f"SKU-{n:05d}" for n in range(5000)]
RECENT = 20_000  # the orders a day's files are about
DAILY_PARCELS = 2_000


#: Part of the data files' names: data generated differently is not mistaken for the cached files.
DATA_VERSION = "v2"
#: Seconds from 2026-11-10 00:00 to the end of 25 November: when the orders were placed.
PERIOD = 16 * 86_400


def timestamp(seconds: int) -> str:
    """ISO 8601 of ``seconds`` after 2026-11-10 00:00 UTC (as Amazon's reports write dates)."""
    days, rest = divmod(seconds, 86_400)
    return f"2026-11-{10 + days:02d}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}+00:00"


def data_paths(orders: int, out: Path) -> dict[str, Path]:
    """Where the files for ``orders`` orders are (or go)."""
    return {"orders": out / f"all-orders-{DATA_VERSION}-{orders}.txt",
            "unshipped": out / f"unshipped-{DATA_VERSION}-{orders}.txt",
            "shipments": out / f"ship-confirm-{DATA_VERSION}-{orders}.txt"}


def order_id(n: int) -> str:
    return f"405-{n // 10_000_000:07d}-{n % 10_000_000:07d}"


def generate(orders: int, out: Path, seed: int = 1) -> dict[str, Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    statuses = [status for status, weight in STATUSES for _ in range(weight)]
    paths = data_paths(orders, out)
    with open(paths["orders"], "w", encoding="utf-8", newline="") as all_orders, \
            open(paths["unshipped"], "w", encoding="utf-8", newline="") as unshipped, \
            open(paths["shipments"], "w", encoding="utf-8", newline="") as shipments:
        all_orders.write("\t".join(ALL_ORDERS) + "\r\n")
        unshipped.write("\t".join(UNSHIPPED) + "\r\n")
        shipments.write("\t".join(SHIP) + "\r\n")
        for n in range(orders):
            status = rng.choice(statuses)
            # November 10-25 (a recent export, mostly clean on 26 November), in order, to the second:
            # timestamps are all but unique, as in a real report; updated up to two days later.
            placed = n * PERIOD // orders + rng.randrange(60)
            purchase = timestamp(placed)
            updated = timestamp(min(placed + rng.randrange(2 * 86_400), PERIOD - 1))
            sku = rng.choice(SKUS)
            quantity = 1 + n % 3
            channel = "Amazon" if n % 7 == 0 else "Merchant"
            price = "" if status.startswith("Pending") else f"{9.5 * quantity:.2f}"
            all_orders.write("\t".join((
                order_id(n), "", purchase, updated, status, channel, "Amazon.it", "", "Standard",
                "Tazza in ceramica 350 ml", sku, f"B0{n % 100000:08d}", "Unshipped", str(quantity), "EUR",
                price, "0.00" if price else "", "4.90" if price else "", "0.00" if price else "", "", "", "", "",
                "MILANO", "MI", "20121", "IT", "", "false", "", "")) + "\r\n")
            recent = n >= orders - RECENT
            if status == "Unshipped" and recent:
                unshipped.write("\t".join((
                    order_id(n), f"6301{n:010d}", purchase, purchase, purchase, purchase, "0",
                    "x@marketplace.amazon.it", "", sku, "Tazza", str(quantity), "0", str(quantity), "Standard",
                    "A Buyer", "Via Esempio 1", "", "", "Milano", "MI", "20121", "IT", "false", "", "",
                    "false")) + "\r\n")
            if recent and n % (RECENT // DAILY_PARCELS) == 0:
                shipments.write("\t".join((order_id(n), f"6301{n:010d}", str(quantity), "2026-11-26", "BRT", "",
                                           f"BRT{n:010d}", "Standard")) + "\r\n")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/og-bench"))
    args = parser.parse_args()
    for name, path in generate(args.orders, args.out).items():
        print(f"{name}: {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
