"""Typed registries of what the loaded plugins contribute, with conflict detection."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from order_guard import __version__
from order_guard.errors import PluginError
from order_guard.manager import PluginManager
from order_guard.types import (
    FlatFormat,
    JsonFormat,
    Operator,
    Reporter,
    RulePack,
    Source,
)

#: hook name -> (registry attribute, accepted types)
_HOOKS = {
    "order_guard_sources": ("sources", (Source,)),
    "order_guard_formats": ("formats", (FlatFormat, JsonFormat)),
    "order_guard_operators": ("operators", (Operator,)),
    "order_guard_reporters": ("reporters", (Reporter,)),
    "order_guard_rule_packs": ("packs", (RulePack,)),
}


@dataclass
class Registry:
    """Everything the plugins of one run registered, by name."""

    sources: dict[str, Source] = field(default_factory=dict)
    formats: dict[str, FlatFormat | JsonFormat] = field(default_factory=dict)
    operators: dict[str, Operator] = field(default_factory=dict)
    reporters: dict[str, Reporter] = field(default_factory=dict)
    packs: dict[str, RulePack] = field(default_factory=dict)
    #: (category, name) -> name of the plugin that registered it
    provided_by: dict[tuple[str, str], str] = field(default_factory=dict)
    #: plugin name -> (distribution, version): what ran, for evidence bundles
    plugins: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Configuration sections for plugins (``sql``: named queries and column mappings), by section name.
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_plugins(cls, pm: PluginManager) -> Registry:
        registry = cls()
        for name, plugin in pm.list_name_plugin():
            if plugin is not None:
                registry.plugins[name] = pm.distributions.get(name, ("order-guard", __version__))
        for hook_name, (attribute, accepted) in _HOOKS.items():
            table = getattr(registry, attribute)
            for plugin_name, item in _hook_results(pm, hook_name):
                if not isinstance(item, accepted):
                    raise PluginError(
                        f"plugin {plugin_name}: {hook_name} yielded {type(item).__name__}, "
                        f"expected {' or '.join(t.__name__ for t in accepted)}"
                    )
                earlier = registry.provided_by.get((attribute, item.name))
                if earlier is not None:
                    raise PluginError(
                        f"conflicting plugins: {earlier} and {plugin_name} both register {attribute[:-1]} {item.name!r}"
                    )
                table[item.name] = item
                registry.provided_by[(attribute, item.name)] = plugin_name
        return registry

    def provided(self, plugin_name: str) -> dict[str, list[str]]:
        """What one plugin contributes, by category: for ``order-guard plugins``."""
        out: dict[str, list[str]] = {}
        for (category, name), provider in sorted(self.provided_by.items()):
            if provider == plugin_name:
                out.setdefault(category, []).append(name)
        return out

    def formats_for(self, container: str) -> list[Any]:
        return [fmt for fmt in self.formats.values() if fmt.container == container]


def _hook_results(pm: PluginManager, hook_name: str) -> Iterator[tuple[str, Any]]:
    # Call each implementation on its own (through pluggy, so tracing sees it), so that
    # every item carries the name of the plugin that provided it.
    impls = getattr(pm.hook, hook_name).get_hookimpls()
    for impl in reversed(impls):
        others = [other.plugin for other in impls if other is not impl]
        try:
            results = pm.subset_hook_caller(hook_name, remove_plugins=others)()
            items = [item for result in results for item in (result or ())]
        except Exception as err:
            raise PluginError(f"plugin {impl.plugin_name}: {hook_name} failed: {err!r}") from err
        for item in items:
            yield impl.plugin_name, item
