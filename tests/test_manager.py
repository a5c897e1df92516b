"""The plugin host: built-ins through the same door, -p and no:, failing plugins are errors."""

from __future__ import annotations

import textwrap

import pytest

from order_guard.errors import PluginError
from order_guard.manager import DEFAULT_PLUGINS, ESSENTIAL_PLUGINS, get_plugin_manager
from order_guard.registry import Registry


def _write_plugin(directory, name: str, body: str) -> None:
    (directory / f"{name}.py").write_text(textwrap.dedent(body))


def _write_distribution(directory, dist: str, entry_points: str) -> None:
    info = directory / f"{dist}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


def test_builtins_are_registered_by_name(monkeypatch):
    monkeypatch.setenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "1")
    pm = get_plugin_manager()
    names = {name for name, _ in pm.list_name_plugin()}
    assert {module.rsplit(".", 1)[-1] for module in ESSENTIAL_PLUGINS + DEFAULT_PLUGINS} <= names


def test_each_call_builds_a_fresh_manager(monkeypatch):
    monkeypatch.setenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert get_plugin_manager() is not get_plugin_manager()


def test_importing_the_package_loads_no_plugin():
    import subprocess
    import sys

    code = "import sys, order_guard, order_guard.cli; print('importlib.metadata' in sys.modules, 'order_guard.manager' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_a_default_plugin_can_be_disabled(monkeypatch):
    monkeypatch.setenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = Registry.from_plugins(get_plugin_manager(disabled=["amazon_pack"]))
    assert "amazon-pending" not in registry.packs


def test_an_essential_plugin_cannot_be_disabled(monkeypatch):
    monkeypatch.setenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "1")
    with pytest.raises(PluginError, match="essential"):
        get_plugin_manager(disabled=["operators"])


def test_an_entry_point_plugin_is_loaded_and_listed(tmp_path, monkeypatch, run_cli):
    monkeypatch.syspath_prepend(tmp_path)
    _write_plugin(tmp_path, "og_shout", """
        import order_guard
        from order_guard.types import Reporter

        @order_guard.hookimpl
        def order_guard_reporters():
            yield Reporter(name="shout", render=lambda report, out, options: out.write("FINDINGS!\\n"))
    """)
    _write_distribution(tmp_path, "og_shout_dist", "[order_guard]\nshout = og_shout\n")
    monkeypatch.delenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD")
    pm = get_plugin_manager(autoload=True)
    assert pm.distributions["shout"] == ("og_shout_dist", "1.2.3")
    assert "shout" in Registry.from_plugins(pm).reporters


def test_a_plugin_that_fails_to_load_is_an_error_naming_it(tmp_path, monkeypatch, run_cli):
    monkeypatch.syspath_prepend(tmp_path)
    _write_plugin(tmp_path, "og_broken", "raise ImportError('missing driver')\n")
    _write_distribution(tmp_path, "og_broken_dist", "[order_guard]\nbroken = og_broken\n")
    with pytest.raises(PluginError, match=r"broken \(og_broken_dist 1.2.3\).*missing driver"):
        get_plugin_manager(autoload=True)
    # Through the CLI: exit 2 and one line, before any data is read; disabling it by name is allowed.
    monkeypatch.delenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    from order_guard.cli import main

    assert main(["plugins"]) == 2
    assert main(["plugins", "-p", "no:broken"]) == 0


def test_a_misspelt_hook_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.syspath_prepend(tmp_path)
    _write_plugin(tmp_path, "og_typo", """
        import order_guard

        @order_guard.hookimpl
        def order_guard_reporter():
            return []
    """)
    with pytest.raises(PluginError, match="og_typo"):
        get_plugin_manager(plugins=["og_typo"])


def test_two_plugins_registering_one_name_conflict(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.syspath_prepend(tmp_path)
    _write_plugin(tmp_path, "og_json_again", """
        import order_guard
        from order_guard.types import Reporter

        @order_guard.hookimpl
        def order_guard_reporters():
            yield Reporter(name="json", render=lambda report, out, options: None)
    """)
    with pytest.raises(PluginError, match="both register reporter 'json'") as raised:
        Registry.from_plugins(get_plugin_manager(plugins=["og_json_again"]))
    assert "json_reporter" in str(raised.value) and "og_json_again" in str(raised.value)


def test_plugins_command_lists_versions_and_what_each_provides(run_cli):
    result = run_cli("plugins")
    assert result.exit_code == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("flat_formats"))
    assert "order-guard" in line and "all-orders-report" in line and "unshipped-report" in line
    assert any(line.startswith("amazon_pack") and "amazon-pending" in line for line in result.stdout.splitlines())
