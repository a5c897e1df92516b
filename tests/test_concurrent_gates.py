"""Fifty gate runs at once on the same files all complete with the same, correct answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from tests.conftest import AS_OF, EXAMPLES


@pytest.mark.slow
def test_fifty_concurrent_gates_agree(tmp_path):
    # A fresh pack cache, so the runs also race to write it.
    env = {**os.environ, "ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1", "ORDER_GUARD_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "order_guard", "check", str(EXAMPLES), "--as-of", AS_OF, "--format", "json", "-q"]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
                 for _ in range(50)]
    outputs = [process.communicate(timeout=300) for process in processes]  # reads the pipes while waiting
    results = [(process.returncode, stdout, stderr) for process, (stdout, stderr) in zip(processes, outputs, strict=True)]
    assert {code for code, _, _ in results} == {1}
    assert all(stderr == b"" for _, _, stderr in results)
    reports = {stdout for _, stdout, _ in results}
    assert len(reports) == 1  # byte-identical
    summary = json.loads(reports.pop())["summary"]
    assert summary["records_read"] == 27 and summary["findings"] == 10
