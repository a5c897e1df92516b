"""Every benchmark of issue 6 in one command, then every target with its verdict.

    python bench/run.py            # 10k, 100k and 1M orders (about 2 minutes on 2 cores, data made)
    python bench/run.py --big      # and 10M orders (about an hour; 7 GB of data in /tmp/og-bench)
    python bench/run.py --quick    # 10k and 100k orders, fewer rounds: a smoke run, not a result

Runs ``streaming.py`` (the streaming engine, ``--jobs``, memory), ``duckdb_engine.py`` (the bulk
engine; skipped with a note when DuckDB is not installed) and ``gate_latency.py`` (cold start and
the in-process gate), each printing its own measurements as it goes, then prints one table of
every ratio against its target. Each ratio is against a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verdicts import VERDICTS_FILE  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="add 10,000,000 orders to the engines' runs")
    parser.add_argument("--quick", action="store_true", help="10k and 100k orders, one repeat: a smoke run")
    args = parser.parse_args()
    sizes = ["10000", "100000"] if args.quick else ["10000", "100000", "1000000"]
    repeat = ["--repeat", "1" if args.quick else "3"]
    big = ["--big"] if args.big else []
    runs = [["streaming.py", "--sizes", *sizes, *repeat, *big]]
    if importlib.util.find_spec("duckdb") is not None:
        runs.append(["duckdb_engine.py", "--sizes", *sizes, *repeat, *big])
    else:
        print("# duckdb is not installed (pip install 'order-guard[duckdb]'): the bulk engine is not measured\n")
    runs.append(["gate_latency.py", *(["--repeat", "5", "--rounds", "3"] if args.quick else [])])
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", encoding="utf-8") as collected:
        env = {**os.environ, VERDICTS_FILE: collected.name}
        for script, *options in runs:
            print(f"\n$ {Path(sys.executable).name} bench/{script} {' '.join(options)}\n", flush=True)
            subprocess.run([sys.executable, str(HERE / script), *options], env=env, check=True)
        verdicts = [json.loads(line) for line in collected]
    print("\n# issue 6 targets (at a million orders, as the issue states them; 10M too with --big)\n")
    print("| measured | value | target | verdict |")
    print("|---|---|---|---|")
    for found in verdicts:
        met = "met" if found["met"] else "NOT met"
        print(f"| {found['what']} | {found['value']:.2f} | {found['target']} | {met} |")
    met = sum(found["met"] for found in verdicts)
    print(f"\n{met} of {len(verdicts)} met")


if __name__ == "__main__":
    main()
