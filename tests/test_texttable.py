"""The table reporter's own table layout is tabulate's ``simple`` format, cell for cell."""

from __future__ import annotations

import random

import pytest
from tabulate import tabulate

from order_guard.texttable import simple_table

HEADERS = ["severity", "rule", "order / sku", "findings", "where"]
WORDS = ["CRITICAL", "AMZ-PEND-001", "405-1000001-0000001", "", " padded ", "Order 405 is Pending; hold it",
         "all-orders.txt:7", "-", "'=cmd", "x", "a much longer piece of text than the header above it"]


def _row(rng: random.Random, number_column: int | None) -> list[object]:
    return [rng.randrange(-5, 10_000) if index == number_column else rng.choice(WORDS) for index in range(5)]


@pytest.mark.parametrize("seed", range(40))
def test_the_layout_matches_tabulate(seed):
    rng = random.Random(seed)
    number_column = rng.choice([None, 3])
    rows = [_row(rng, number_column) for _ in range(rng.randrange(0, 6))]
    assert simple_table(rows, HEADERS) == tabulate(rows, headers=HEADERS, tablefmt="simple")


@pytest.mark.parametrize("cells", [
    ["1.50", "b"],          # text that reads as a number: tabulate right-aligns and reformats it
    ["0x1F", "b"],
    ["True", "b"],
    ["Tôkyô", "東京"],       # wide characters: tabulate measures them
    ["a", 3],               # text and numbers in one column
])
def test_tables_it_cannot_lay_out_alike_go_to_tabulate(cells):
    rows = [["left", 1], cells]
    assert simple_table(rows, ["one", "two"]) == tabulate(rows, headers=["one", "two"], tablefmt="simple")

