"""The wheel carries the Amazon pack: a plain (non-editable) install works outside the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from tests.conftest import AS_OF, EXAMPLES, REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
                   check=True, capture_output=True)
    return next(out.glob("order_guard-*.whl"))


def test_wheel_contains_the_rule_pack_and_report_schema(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "order_guard/packs/amazon/pending.yaml" in names
    assert "order_guard/schemas/report.schema.json" in names


def test_installed_wheel_checks_the_example_from_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    data = shutil.copytree(EXAMPLES, tmp_path / "data")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run([sys.executable, "-m", "order_guard", "check", str(data), "--as-of", AS_OF,
                             "--format", "json", "-q"], cwd=work, env=env, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["packs"][0]["path"].startswith(str(target))
    assert len(report["summary"]["by_rule"]) == 9
