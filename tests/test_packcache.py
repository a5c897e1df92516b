"""The validated-pack cache: used only while the rule file, order-guard and the vocabulary are unchanged;
a damaged entry is never trusted. (The first cache test, bytes changing, is in test_rule_tests.py.)"""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from order_guard.builtin.amazon_pack import bundled_rules_dir
from order_guard.cachefiles import read_entry
from order_guard.checking import load_registry
from order_guard.errors import RuleFileError
from order_guard.manager import get_plugin_manager
from order_guard.registry import Registry
from order_guard.rulelang import packcache, validation
from order_guard.rulelang.loader import load_packs

PACK = bundled_rules_dir() / "amazon" / "pending.yaml"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ORDER_GUARD_CACHE_DIR", str(folder))
    monkeypatch.delenv("ORDER_GUARD_NO_CACHE", raising=False)
    return folder / "packs"


@pytest.fixture
def pack(tmp_path):
    path = tmp_path / "pending.yaml"
    path.write_text(PACK.read_text())
    return path


@pytest.fixture
def validations(monkeypatch):
    """Counts the files validated (parsed, schema, phase 2) rather than read from the cache."""
    seen = []
    real = validation.validate_file
    monkeypatch.setattr(validation, "validate_file", lambda path, *rest: seen.append(path.name) or real(path, *rest))
    return seen


def test_a_cached_pack_is_the_pack_as_validated(cache, pack, validations):
    operators = load_registry().operators
    [first] = load_packs([pack], operators)
    [again] = load_packs([pack], operators)
    assert validations == ["pending.yaml"]  # the second load neither parsed nor validated
    assert again == first  # every rule, check, condition, example and line


def test_the_same_bytes_elsewhere_are_a_pack_of_that_path(cache, pack, tmp_path, validations):
    operators = load_registry().operators
    load_packs([pack], operators)
    elsewhere = tmp_path / "copy" / "pending.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(pack.read_bytes())
    [copy] = load_packs([elsewhere], operators)
    assert validations == ["pending.yaml"]
    assert copy.path == elsewhere and {rule.path for rule in copy.rules} == {elsewhere}


def test_another_order_guard_version_validates_again(cache, pack, validations, monkeypatch):
    operators = load_registry().operators
    load_packs([pack], operators)
    monkeypatch.setattr(packcache, "__version__", "99.0")
    load_packs([pack], operators)
    assert validations == ["pending.yaml", "pending.yaml"]


def _operator_plugin(directory, name: str, result: bool) -> None:
    (directory / f"{name}.py").write_text(textwrap.dedent(f"""
        import order_guard
        from order_guard.types import Operator

        @order_guard.hookimpl
        def order_guard_operators():
            yield Operator(name="always", schema={{"type": "boolean"}}, on_field=False,
                           compile=lambda argument, field, ctx: lambda record: {result})
    """))


def test_another_plugin_set_or_operator_code_validates_again(cache, pack, validations, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(tmp_path)
    _operator_plugin(tmp_path, "og_always", True)
    builtin_only = load_registry().operators
    with_plugin = Registry.from_plugins(get_plugin_manager(plugins=["og_always"])).operators
    load_packs([pack], builtin_only)
    load_packs([pack], with_plugin)  # one more operator: another schema
    load_packs([pack], with_plugin)
    assert validations == ["pending.yaml", "pending.yaml"]
    module = tmp_path / "og_always.py"
    _operator_plugin(tmp_path, "og_always", False)  # the plugin's code changes, its version does not
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    load_packs([pack], with_plugin)
    assert validations == ["pending.yaml", "pending.yaml", "pending.yaml"]


def _entries(cache):
    return sorted(cache.glob("*.json"))


def test_a_damaged_entry_is_ignored_and_replaced(cache, pack, validations):
    operators = load_registry().operators
    load_packs([pack], operators)
    [entry] = _entries(cache)
    good = entry.read_bytes()
    for damage in (b"", good[: len(good) // 2], b"not an entry\n{}", good.replace(b'"critical"', b'"info"', 1)):
        entry.write_bytes(damage)
        [again] = load_packs([pack], operators)
        assert again.rules[0].severity == "critical"  # a tampered severity is never believed
        assert entry.read_bytes() == good  # validated again and written back whole
    assert len(validations) == 5


def test_an_entry_holding_the_wrong_shape_is_a_miss(cache, pack, validations):
    operators = load_registry().operators
    load_packs([pack], operators)
    [entry] = _entries(cache)
    # A whole entry (its digest matches) of another shape, as a future format could write.
    from order_guard.cachefiles import write_entry

    write_entry(entry, json.dumps({"name": "amazon-pending"}).encode())
    [again] = load_packs([pack], operators)
    assert len(again.rules) == 9 and len(validations) == 2


def test_a_pack_with_a_problem_is_never_cached(cache, tmp_path, validations):
    broken = tmp_path / "broken.yaml"
    broken.write_text(PACK.read_text().replace("{order_id} is {status}", "{order_id} is {statuz}", 1))
    operators = load_registry().operators
    for _ in range(2):
        with pytest.raises(RuleFileError, match="unknown placeholder"):
            load_packs([broken], operators)
    assert validations == ["broken.yaml", "broken.yaml"] and _entries(cache) == []


def test_no_cache_when_asked_or_when_it_cannot_be_written(cache, pack, validations, tmp_path, monkeypatch):
    operators = load_registry().operators
    monkeypatch.setenv("ORDER_GUARD_NO_CACHE", "1")
    load_packs([pack], operators)
    load_packs([pack], operators)
    assert not cache.exists()
    monkeypatch.delenv("ORDER_GUARD_NO_CACHE")
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setenv("ORDER_GUARD_CACHE_DIR", str(not_a_folder))
    [loaded] = load_packs([pack], operators)
    assert len(loaded.rules) == 9 and len(validations) == 3


def test_the_cache_lives_under_xdg_cache_home(pack, tmp_path, monkeypatch):
    monkeypatch.delenv("ORDER_GUARD_CACHE_DIR", raising=False)
    monkeypatch.delenv("ORDER_GUARD_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    load_packs([pack], load_registry().operators)
    assert list((tmp_path / "xdg" / "order-guard" / "packs").glob("*.json"))
    # A relative XDG_CACHE_HOME is invalid (XDG Base Directory): ~/.cache is used instead.
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    load_packs([pack], load_registry().operators)
    assert list((tmp_path / "home" / ".cache" / "order-guard" / "packs").glob("*.json"))


def test_entries_are_written_whole_and_leave_no_temporary_file(cache, pack):
    load_packs([pack], load_registry().operators)
    assert [path.name.endswith(".json") for path in cache.iterdir()] == [True]
    [entry] = _entries(cache)
    content = read_entry(entry)
    assert content is not None and json.loads(content)["name"] == "amazon-pending"

