"""Shared fixtures: run the CLI in-process, write data files, find the shared fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "amazon-it"
#: Amazon's published example payloads, beside the repository (absent in a plain clone).
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
AS_OF = "2026-11-26T12:00:00Z"


# Property tests: the same examples on every run and machine (CI reproduces any failure), no
# example database written into the checkout, no per-example deadline (the CLI reads files).
# HYPOTHESIS_PROFILE=explore searches harder, with fresh random examples, for a local bug hunt.
settings.register_profile("order-guard", derandomize=True, database=None, deadline=None, max_examples=40)
settings.register_profile("explore", database=None, deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "order-guard"))


def pytest_configure(config):
    # Validated rule packs are cached between runs; tests keep theirs out of the user's cache.
    os.environ.setdefault("ORDER_GUARD_CACHE_DIR", tempfile.mkdtemp(prefix="og-test-cache-"))


@pytest.fixture(scope="module", autouse=True)
def _built_in_plugins_only():
    """Core tests see the built-in plugins only, whatever else is installed in the environment;
    a test about loading installed plugins unsets this itself (monkeypatch)."""
    before = os.environ.get("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    yield
    if before is None:
        del os.environ["ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD"]
    else:
        os.environ["ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD"] = before


@pytest.fixture
def run_cli(order_guard_cli, monkeypatch):
    """``order-guard ARGS...`` in-process (order_guard.testing); installed third-party plugins are not loaded."""
    monkeypatch.setenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "1")
    return order_guard_cli


def write_tsv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8",
              delimiter: str = "\t", newline: str = "\r\n") -> Path:
    """A flat file as Amazon writes them: tab-separated, CRLF lines."""
    lines = [delimiter.join(header)] + [delimiter.join("" if v is None else str(v) for v in row) for row in rows]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path
