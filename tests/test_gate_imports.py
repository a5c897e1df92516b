"""What a warehouse gate's start-up must not pay for: modules a warm ``order-guard check`` never imports.

Each run is a fresh interpreter (``-I``: the working directory is not on sys.path), the first one
filling the caches; the modules listed are looked for in ``sys.modules`` after the second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from tests.conftest import AS_OF, EXAMPLES

#: Imported by a gate only when it is asked for something else than a clean, cached, table run.
NOT_FOR_A_GATE = (
    "yaml",                              # rule files come from the pack cache
    "jsonschema",                        # no schema validation of a cached pack
    "order_guard.rulelang.validation",   # nor phase 2
    "importlib.metadata",                # installed plugins come from the entry-point cache
    "tabulate",                          # the table reporter lays out its own tables
    "order_guard.reporters.junit_xml",   # reporters are imported when their format is used
    "order_guard.reporters.sarif_log",
    "order_guard.reporters.html_page",
    "order_guard.reporters.markdown_page",
    "order_guard.reporters.github_annotations",
    "xml.etree.ElementTree",
    "order_guard.evidence",              # --evidence
    "order_guard.waivers",               # --waivers
    "gzip",                              # a gzip file
    "tomllib",                           # a pyproject.toml in the working directory
    "hashlib",                           # OpenSSL: small digests are CPython's own (order_guard.digests)
    "logging",                           # configured when something imports it (order_guard.secrets)
    "shutil",                            # argparse's terminal width is read without it (order_guard.cli)
    "argparse",                          # a plain check command line is read without it (order_guard.cli)
    "gettext",                           # (argparse's translations)
    "locale",
)
CODE = "import sys; from order_guard.cli import main; main(sys.argv[1:]); print(' '.join(sorted(sys.modules)))"


def _modules_of_a_warm_run(tmp_path, *args: str, **env: str) -> set[str]:
    environment = {key: value for key, value in os.environ.items() if key != "ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD"}
    environment.update(ORDER_GUARD_CACHE_DIR=str(tmp_path / "cache"), **env)
    command = [sys.executable, "-I", "-c", CODE, "check", str(EXAMPLES), "--as-of", AS_OF, "-q", *args]

    def run() -> set[str]:
        done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120)
        return set(done.stdout.splitlines()[-1].split())

    run()  # fills the caches
    modules = run()
    if "importlib.metadata" in modules:
        # Something on sys.path changed in the last seconds (a fresh install): the entry-point
        # cache waits until it is seconds old, so that a change in the same clock tick is not missed.
        time.sleep(3.5)
        run()
        modules = run()
    return modules


def test_a_warm_gate_imports_only_what_it_uses(tmp_path):
    modules = _modules_of_a_warm_run(tmp_path)
    assert "order_guard.builtin.table_reporter" in modules
    assert sorted(set(NOT_FOR_A_GATE) & modules) == []


@pytest.mark.parametrize(("args", "env", "imported"), [
    (("--format", "junit"), {}, {"order_guard.reporters.junit_xml", "xml.etree.ElementTree"}),
    ((), {"ORDER_GUARD_NO_CACHE": "1"}, {"yaml", "jsonschema", "order_guard.rulelang.validation",
                                         "importlib.metadata"}),
])
def test_what_is_asked_for_is_imported(tmp_path, args, env, imported):
    assert imported <= _modules_of_a_warm_run(tmp_path, *args, **env)
