"""``order-guard waivers validate FILE...``: for pre-commit hooks and CI."""

from __future__ import annotations

import argparse
from pathlib import Path

from order_guard.checking import default_rule_paths, load_registry
from order_guard.errors import ExitCode, UsageError
from order_guard.rulelang.loader import load_packs
from order_guard.waivers import load_waivers


def run(args: argparse.Namespace) -> int:
    registry = load_registry()
    paths = [Path(path) for path in args.rules] or default_rule_paths(registry)
    rules = [rule for pack in load_packs(paths, registry.operators) for rule in pack.rules]
    known = {rule.id for rule in rules} | {rule.name for rule in rules}
    problems = []
    count = 0
    for path in map(Path, args.paths):
        try:
            waivers = load_waivers(path)
        except UsageError as err:
            problems.append(str(err))
            continue
        count += len(waivers)
        problems += [f"{waiver.source}: waiver names rule {waiver.rule!r}, which no loaded pack has"
                     for waiver in waivers if waiver.rule not in known]
    if problems:
        raise UsageError("\n".join(problems))
    print(f"ok: {count} waivers in {len(args.paths)} file(s)")
    return ExitCode.CLEAN
