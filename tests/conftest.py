"""Shared fixtures: run the CLI in-process, write data files, find the shared fixtures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from order_guard.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "amazon-it"
#: Amazon's published example payloads, beside the repository (absent in a plain clone).
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
AS_OF = "2026-11-26T12:00:00Z"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run ``order-guard ARGS...`` in-process; installed third-party plugins are not loaded."""
    monkeypatch.setenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


def write_tsv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8",
              delimiter: str = "\t", newline: str = "\r\n") -> Path:
    """A flat file as Amazon writes them: tab-separated, CRLF lines."""
    lines = [delimiter.join(header)] + [delimiter.join("" if v is None else str(v) for v in row) for row in rows]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path
