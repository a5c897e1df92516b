"""Configuration files: datasets, rules and defaults from order-guard.yaml or pyproject.toml."""

from __future__ import annotations

import shutil

from tests.conftest import AS_OF, EXAMPLES


def test_order_guard_yaml_names_the_datasets_and_threshold(run_cli, tmp_path, monkeypatch):
    shutil.copytree(EXAMPLES, tmp_path / "data")
    (tmp_path / "order-guard.yaml").write_text(
        "datasets:\n"
        "  - {kind: orders, source: data/all-orders.txt}\n"
        "  - {kind: shipments, source: data/ship-confirm.txt}\n"
        "fail-on: critical\n"
        "format: json\n"
    )
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "--as-of", AS_OF)
    report = result.json()
    assert [entry["kind"] for entry in report["inputs"]] == ["orders", "shipments"]
    assert "AMZ-PEND-001" in report["summary"]["by_rule"]
    assert result.exit_code == 1
    assert run_cli("check", "--as-of", AS_OF, "--fail-on", "none").exit_code == 0  # flags override the file


def test_pyproject_tool_table_is_read(run_cli, tmp_path, monkeypatch):
    shutil.copytree(EXAMPLES, tmp_path / "data")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.order-guard]\ndatasets = [{kind = "orders", source = "data/sp-api-orders-de.json"}]\n'
    )
    monkeypatch.chdir(tmp_path)
    report = run_cli("check", "--as-of", AS_OF, "--format", "json").json()
    assert report["summary"]["by_rule"] == {"AMZ-PEND-002": 1}


def test_an_unknown_configuration_key_is_an_error_with_its_line(run_cli, tmp_path):
    config = tmp_path / "og.yaml"
    config.write_text("fail-on: high\nplugins: [evil_module]\n")
    result = run_cli("check", EXAMPLES, "--config", config)
    assert result.exit_code == 2
    assert f"{config}:2" in result.stderr and "plugins" in result.stderr


def test_a_missing_configuration_file_is_an_error(run_cli, tmp_path):
    result = run_cli("check", EXAMPLES, "--config", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "no such configuration file" in result.stderr
