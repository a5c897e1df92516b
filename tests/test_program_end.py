"""The program's own run (``cli.run``: the console script, ``python -m order_guard``) ends its
process at once (``cli._end_the_program``), with the same exit code and output as the usual
ending, and the usual ending wherever something is left to run; a caller of ``cli.main`` goes on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests.conftest import AS_OF, EXAMPLES

from order_guard import cli

CHECK = ("check", str(EXAMPLES), "--as-of", AS_OF, "-q")


def _program(code: str, *args: str, tmp_path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "ORDER_GUARD_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=environment, cwd=tmp_path, timeout=120)


@pytest.mark.parametrize("output", [(), ("--format", "json")])
def test_the_program_ends_with_its_code_and_its_whole_report(tmp_path, capsys, output):
    assert cli.main([*CHECK, *output]) == 1
    expected = capsys.readouterr().out
    script = "from order_guard.cli import run; run()"
    for _ in range(2):  # a cold run, then a warm one
        done = _program(script, *CHECK, *output, tmp_path=tmp_path)
        assert (done.returncode, done.stdout) == (1, expected)


def test_an_atexit_callback_still_runs(tmp_path):
    script = "import atexit; atexit.register(print, 'at exit'); from order_guard.cli import run; run()"
    done = _program(script, *CHECK, tmp_path=tmp_path)
    assert done.returncode == 1
    assert done.stdout.endswith("at exit\n")


@pytest.mark.parametrize("script", [
    "import sys; from order_guard import cli; code = cli.main(); print('after', code)",
    # a warehouse script of its own, its main the command line's: it logs, then exits with the code
    "import sys; from order_guard.cli import main; code = main(); print('after', code); sys.exit(code)",
])
def test_a_caller_of_main_goes_on_after_it(tmp_path, script):
    # main() without argv reads the process's command line, and the caller's program goes on.
    done = _program(script, *CHECK, tmp_path=tmp_path)
    assert done.stdout.splitlines()[-1] == "after 1"


def test_an_unwritable_standard_output_ends_the_usual_way(tmp_path):
    script = "from order_guard.cli import run; run()"
    environment = {**os.environ, "ORDER_GUARD_CACHE_DIR": str(tmp_path / "cache")}
    with open(os.devnull, "w") as devnull, open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-c", script, *CHECK], stdout=full, stderr=subprocess.PIPE,
                              stdin=devnull, text=True, env=environment, cwd=tmp_path, timeout=120)
    assert done.returncode == 3
    assert "cannot write the report to standard output" in done.stderr
