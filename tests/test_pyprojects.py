"""A pyproject.toml's [tool.order-guard] table, parsed once per text and remembered."""

from __future__ import annotations

import sys

import pytest

from order_guard import pyprojects
from order_guard.errors import UsageError

PROJECT = '[project]\nname = "shop"\n\n[tool.order-guard]\nrules = ["rules/"]\nfail-on = "medium"\n'


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDER_GUARD_CACHE_DIR", str(tmp_path / "cache"))


def test_the_table_is_read_back_as_parsed_without_parsing_again(tmp_path, monkeypatch):
    path = tmp_path / "pyproject.toml"
    path.write_text(PROJECT, encoding="utf-8")
    parsed = pyprojects.tool_table(path)
    assert parsed == {"rules": ["rules/"], "fail-on": "medium"}
    monkeypatch.setitem(sys.modules, "tomllib", None)  # any parse now fails
    assert pyprojects.tool_table(path) == parsed


def test_an_edited_file_is_parsed_again(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(PROJECT, encoding="utf-8")
    pyprojects.tool_table(path)
    path.write_text(PROJECT.replace("medium", "low"), encoding="utf-8")
    assert pyprojects.tool_table(path)["fail-on"] == "low"
    path.write_text('[project]\nname = "shop"\n', encoding="utf-8")
    assert pyprojects.tool_table(path) is None


@pytest.mark.parametrize("content", [b'[tool.order-guard\nrules = 1\n', b'[project]\nname = "caf\xe9"\n'])
def test_a_file_that_does_not_parse_is_an_error_every_time(tmp_path, content):
    path = tmp_path / "pyproject.toml"
    path.write_bytes(content)
    for _ in range(2):
        with pytest.raises(UsageError, match="pyproject.toml"):
            pyprojects.tool_table(path)


def test_a_table_json_cannot_hold_is_parsed_every_time(tmp_path, monkeypatch):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.order-guard]\nsince = 2026-11-26\n", encoding="utf-8")
    first = pyprojects.tool_table(path)
    assert pyprojects.tool_table(path) == first
    assert not list((tmp_path / "cache").glob("pyproject/*.json"))


def test_a_refused_table_is_not_copied_into_the_cache(tmp_path, monkeypatch, run_cli):
    # A password typed into a URL is refused every time, and never stored beside the file.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.order-guard]\ndatasets = [{kind = "orders", source = "postgresql://shop:hunter2@db/shop"}]\n',
        encoding="utf-8")
    for _ in range(2):
        result = run_cli("check")
        assert result.exit_code == 2
        assert "a password in a URL" in result.stderr and "hunter2" not in result.stderr
    assert not any("hunter2" in path.read_text(errors="replace")
                   for path in (tmp_path / "cache").rglob("*") if path.is_file())
