"""The cached list of installed plugins: the same as a metadata scan, never missing an install or removal."""

from __future__ import annotations

import itertools
import os
import sys
import textwrap
import time
from importlib.metadata import entry_points

import pytest

from order_guard import entrypoints
from order_guard.entrypoints import InstalledEntryPoint, installed_entry_points

GROUP = "order_guard_test_group"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ORDER_GUARD_CACHE_DIR", str(folder))
    monkeypatch.delenv("ORDER_GUARD_NO_CACHE", raising=False)
    monkeypatch.setattr(entrypoints, "RECENT_NS", 0)  # the tests' files are seconds old: store anyway
    return folder / "plugins"


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(folder)
    return folder


@pytest.fixture
def scans(monkeypatch):
    seen = []
    real = entrypoints._scan
    monkeypatch.setattr(entrypoints, "_scan", lambda group: seen.append(group) or real(group))
    return seen


def _install(site, dist: str, points: str, version: str = "1.0") -> None:
    info = site / f"{dist}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(points))
    _tick(site)


_STAMPS = itertools.count(1)


def _tick(*paths) -> None:
    """Give each change its own modification time, in the past (a test runs within one clock tick)."""
    for path in paths:
        stamp = time.time_ns() - 1_000_000_000_000 + next(_STAMPS) * 1_000_000_000
        os.utime(path, ns=(stamp, stamp))


def _names(points) -> list[tuple[str, str, str | None, str | None]]:
    return [(p.name, p.value, p.dist_name, p.dist_version) for p in points]


def test_the_cached_list_is_what_importlib_metadata_lists(cache, scans):
    expected = [(p.name, p.value, p.dist.name, p.dist.version) for p in entry_points(group="order_guard")]
    assert _names(installed_entry_points("order_guard")) == expected
    assert _names(installed_entry_points("order_guard")) == expected
    assert scans == ["order_guard"]  # the second call read the cache


def test_an_installed_plugin_is_found_and_a_removed_one_forgotten(cache, site, scans):
    assert installed_entry_points(GROUP) == []
    _install(site, "og_extra", f"[{GROUP}]\nextra = og_extra_module:plugin\n")
    assert _names(installed_entry_points(GROUP)) == [("extra", "og_extra_module:plugin", "og_extra", "1.0")]
    for info in site.glob("og_extra-*.dist-info"):
        for child in info.iterdir():
            child.unlink()
        info.rmdir()
    _tick(site)
    assert installed_entry_points(GROUP) == []
    assert installed_entry_points(GROUP) == []
    assert len(scans) == 2  # before and with the install; after it is as before, already cached


def test_a_folder_receiving_other_files_keeps_its_cache(cache, site, scans):
    installed_entry_points(GROUP)
    (site / "orders-2026-11-26.json").write_text("[]")  # a working directory on sys.path, say
    _tick(site)
    installed_entry_points(GROUP)
    assert len(scans) == 1


def test_entry_points_edited_in_place_are_seen(cache, site):
    _install(site, "og_extra", f"[{GROUP}]\nextra = og_extra_module\n")
    assert [p.name for p in installed_entry_points(GROUP)] == ["extra"]
    points = next(site.glob("og_extra-*.dist-info")) / "entry_points.txt"
    points.write_text(f"[{GROUP}]\nextra = og_extra_module\nmore = og_more_module\n")
    _tick(points)
    assert [p.name for p in installed_entry_points(GROUP)] == ["extra", "more"]


def test_a_fingerprint_of_the_last_seconds_is_not_stored(cache, site, monkeypatch):
    monkeypatch.setattr(entrypoints, "RECENT_NS", 3_000_000_000)
    (site / "fresh-1.0.dist-info").mkdir()  # just now: a change in the same clock tick could follow
    installed_entry_points(GROUP)
    assert not cache.exists() or not list(cache.iterdir())


def test_a_damaged_cache_entry_is_scanned_again_and_replaced(cache, site, scans):
    _install(site, "og_extra", f"[{GROUP}]\nextra = og_extra_module\n")
    installed_entry_points(GROUP)
    [entry] = cache.glob("*.json")
    good = entry.read_bytes()
    entry.write_bytes(good.replace(b"og_extra_module", b"og_other_module"))
    assert [p.value for p in installed_entry_points(GROUP)] == ["og_extra_module"]
    assert entry.read_bytes() == good and len(scans) == 2


def test_another_distribution_finder_turns_the_cache_off(cache, scans, monkeypatch):
    class Finder:
        @staticmethod
        def find_spec(*args, **kwargs):
            return None

        @staticmethod
        def find_distributions(*args, **kwargs):
            return iter(())

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder])
    installed_entry_points(GROUP)
    installed_entry_points(GROUP)
    assert scans == [GROUP, GROUP] and not cache.exists()


def test_an_entry_point_loads_the_object_it_names(site):
    (site / "og_target.py").write_text("class Outer:\n    class Inner:\n        value = 42\n")
    assert InstalledEntryPoint("t", "og_target:Outer.Inner", None, None).load().value == 42
    assert InstalledEntryPoint("t", "og_target [extra]", None, None).load().__name__ == "og_target"
    with pytest.raises(ValueError, match="not module or module:attribute"):
        InstalledEntryPoint("t", "og_target:", None, None).load()
