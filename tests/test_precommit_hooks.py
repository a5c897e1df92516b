"""The pre-commit hooks run real order-guard commands on the files pre-commit passes them."""

from __future__ import annotations

import re
import shlex

import yaml
from tests.conftest import REPO

HOOKS = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}


def test_hooks_cover_rule_packs_cases_and_waivers():
    assert set(HOOKS) == {"order-guard-rules", "order-guard-rule-tests", "order-guard-waivers"}
    for hook in HOOKS.values():
        assert hook["language"] == "python" and hook["entry"].startswith("order-guard ")


def test_each_hook_matches_the_files_it_is_for():
    rules = HOOKS["order-guard-rules"]
    assert re.search(rules["files"], "rules/amazon/pending.yaml")
    assert re.search(rules["exclude"], "rules/amazon/pending.cases.yaml")
    assert re.search(HOOKS["order-guard-waivers"]["files"], "config/waivers-2026.yaml")
    assert not re.search(HOOKS["order-guard-waivers"]["files"], "rules/amazon/pending.yaml")


def test_each_hook_entry_runs_on_good_files(run_cli):
    pack = REPO / "rules" / "amazon" / "pending.yaml"
    assert run_cli(*shlex.split(HOOKS["order-guard-rules"]["entry"])[1:], pack).exit_code == 0
    assert run_cli(*shlex.split(HOOKS["order-guard-rule-tests"]["entry"])[1:], pack,
                   REPO / "rules" / "amazon" / "pending.cases.yaml").exit_code == 0


def test_the_waivers_hook_rejects_a_bad_file(run_cli, tmp_path):
    bad = tmp_path / "waivers.yaml"
    bad.write_text("waivers:\n  - {rule: AMZ-PEND-001, order_id: X, reason: none given here, owner: me}\n")
    result = run_cli(*shlex.split(HOOKS["order-guard-waivers"]["entry"])[1:], bad)
    assert result.exit_code == 2 and f"{bad}:2" in result.stderr
