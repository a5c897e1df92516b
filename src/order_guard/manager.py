"""Build the plugin manager for one run: built-ins, entry points, ``-p`` plugins.

The manager is built fresh by :func:`get_plugin_manager`, never at import
time. A plugin that fails to load is an error naming it (a guard whose rules
silently did not run would report a false "clean"), unless the user
disabled that plugin by name.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Iterable
from typing import Any

import pluggy

from order_guard import __version__, hookspecs
from order_guard.entrypoints import installed_entry_points
from order_guard.errors import PluginError

PROJECT = "order_guard"

#: Built-in plugins that cannot be disabled: without them nothing can run.
ESSENTIAL_PLUGINS = (
    "order_guard.builtin.file_source",
    "order_guard.builtin.operators",
)

#: Built-in plugins registered like any third-party plugin; each can be
#: disabled with ``-p no:NAME`` (NAME is the last part of the module name).
DEFAULT_PLUGINS = (
    "order_guard.builtin.sp_api_formats",
    "order_guard.builtin.sp_api_events",
    "order_guard.builtin.flat_formats",
    "order_guard.builtin.table_reporter",
    "order_guard.builtin.json_reporter",
    "order_guard.builtin.junit_reporter",
    "order_guard.builtin.sarif_reporter",
    "order_guard.builtin.github_reporter",
    "order_guard.builtin.markdown_reporter",
    "order_guard.builtin.html_reporter",
    "order_guard.builtin.amazon_pack",
)

DISABLE_ENV = "ORDER_GUARD_DISABLE_PLUGINS"
NO_AUTOLOAD_ENV = "ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD"


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering which distribution each plugin came from."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        #: plugin name -> (distribution, version), for ``order-guard plugins``.
        self.distributions: dict[str, tuple[str, str]] = {}

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        # A module's value that is no function, or a function without the hookimpl mark, is no
        # hook implementation: answered from the module's namespace, without pluggy's static
        # look-up of every name a plugin module holds (its imports, constants, helpers).
        if isinstance(plugin, types.ModuleType) and name in plugin.__dict__:
            value = plugin.__dict__[name]
            if isinstance(value, types.FunctionType):
                if not hasattr(value, f"{PROJECT}_impl"):
                    return None
            elif not isinstance(value, (types.MethodType, staticmethod, classmethod)):
                return None
        return super().parse_hookimpl_opts(plugin, name)


def split_plugin_flags(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """``-p NAME`` loads a plugin module, ``-p no:NAME`` disables a plugin."""
    enabled = [value for value in values if not value.startswith("no:")]
    disabled = [value[3:] for value in values if value.startswith("no:")]
    return enabled, disabled


def get_plugin_manager(
    plugins: Iterable[str] = (),
    disabled: Iterable[str] = (),
    autoload: bool | None = None,
) -> PluginManager:
    """A fresh manager with the built-ins, installed plugins and ``plugins`` (``-p``).

    ``disabled`` names plugins to block (``-p no:NAME``); the environment
    variable ``ORDER_GUARD_DISABLE_PLUGINS`` adds a comma-separated list.
    Entry points of the ``order_guard`` group load unless ``autoload`` is
    false or ``ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD`` is set.
    """
    pm = PluginManager()
    blocked = set(disabled) | {name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()}
    essential = {module.rsplit(".", 1)[-1] for module in ESSENTIAL_PLUGINS}
    if blocked & essential:
        raise PluginError(f"cannot disable essential plugin(s): {', '.join(sorted(blocked & essential))}")
    for name in blocked:
        pm.set_blocked(name)

    for module in ESSENTIAL_PLUGINS + DEFAULT_PLUGINS:
        _register_module(pm, module)
    if autoload is None:
        autoload = not os.environ.get(NO_AUTOLOAD_ENV)
    if autoload:
        _load_entry_points(pm)
    for module in plugins:
        _register_module(pm, module)
    if os.environ.get("ORDER_GUARD_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda message: sys.stderr.write(message))
        pm.enable_tracing()
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as err:
        raise PluginError(f"plugin {err.plugin!r} implements a hook order-guard does not have: {err}") from None
    return pm


def _register_module(pm: PluginManager, module: str) -> None:
    name = module.rsplit(".", 1)[-1]
    if pm.is_blocked(name) or pm.is_blocked(module):
        return
    try:
        plugin = importlib.import_module(module)
    except Exception as err:
        raise PluginError(f"could not load order-guard plugin {module} (order-guard {__version__}): {err!r}") from err
    if pm.get_plugin(name) is not None:
        raise PluginError(f"plugin name {name!r} ({module}) is already taken by another plugin")
    pm.register(plugin, name=name)


def _load_entry_points(pm: PluginManager) -> None:
    for entry_point in installed_entry_points(PROJECT):
        if pm.is_blocked(entry_point.name):
            continue
        dist = (entry_point.dist_name, entry_point.dist_version) if entry_point.dist_name else None
        label = f"{entry_point.name} ({dist[0]} {dist[1]})" if dist else entry_point.name
        if pm.get_plugin(entry_point.name) is not None:
            earlier = pm.distributions.get(entry_point.name, ("order-guard", __version__))
            raise PluginError(f"plugin name {entry_point.name!r} of {label} is already taken by "
                              f"{earlier[0]} {earlier[1]}; a second plugin of that name would not run")
        try:
            plugin = entry_point.load()
            pm.register(plugin, name=entry_point.name)
        except Exception as err:
            raise PluginError(
                f"could not load order-guard plugin {label} (order-guard {__version__}): {err!r}; "
                f"disable it with -p no:{entry_point.name} if you accept running without it"
            ) from err
        if dist is not None:
            pm.distributions[entry_point.name] = dist
