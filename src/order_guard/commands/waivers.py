"""``order-guard waivers validate FILE...``: for pre-commit hooks and CI."""

from __future__ import annotations

import argparse
from pathlib import Path

from order_guard.errors import ExitCode, UsageError
from order_guard.waivers import load_waivers


def run(args: argparse.Namespace) -> int:
    problems = []
    count = 0
    for path in map(Path, args.paths):
        try:
            count += len(load_waivers(path))
        except UsageError as err:
            problems.append(str(err))
    if problems:
        raise UsageError("\n".join(problems))
    print(f"ok: {count} waivers in {len(args.paths)} file(s)")
    return ExitCode.CLEAN
