"""``order-guard plugins``: what is loaded, from which distribution, and what each provides."""

from __future__ import annotations

import argparse

from tabulate import tabulate

from order_guard.errors import ExitCode
from order_guard.manager import get_plugin_manager, split_plugin_flags
from order_guard.registry import Registry


def run(args: argparse.Namespace) -> int:
    enabled, disabled = split_plugin_flags(args.plugins)
    pm = get_plugin_manager(plugins=enabled, disabled=disabled)
    registry = Registry.from_plugins(pm)
    rows = []
    for name, (dist, version) in sorted(registry.plugins.items()):
        provides = "; ".join(f"{category}: {', '.join(names)}" for category, names in registry.provided(name).items())
        rows.append((name, f"{dist} {version}", provides or "-"))
    print(tabulate(rows, headers=["plugin", "distribution", "provides"], tablefmt="simple"))
    return ExitCode.CLEAN
