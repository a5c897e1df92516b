"""order-guard's pytest plugin (entry point ``pytest11``), loaded wherever order-guard is installed.

* Collects ``*.cases.yaml`` rule case files as ordinary tests, one per case,
  with a failure that names the missing and unexpected findings, and one test
  per rule of the packs they test, running the rule's good and bad examples
  (the same harness as ``order-guard rules test``).
* Provides ``order_guard_cli``: run ``order-guard ARGS...`` in-process and get its
  exit code, stdout and stderr (plugin authors test their plugin through it).
* Provides the ``guard`` fixture: an :class:`order_guard.guard.Guard` over the
  installed rule packs, so a test suite can say "our sync never ships a
  Pending order"::

      def test_sync_holds_pending_orders(guard):
          orders, shipments = my_sync.run(...)
          guard.assert_clean(orders, datasets={"shipments": shipments})

Imports of order-guard itself happen inside the hooks, so loading this
plugin costs nothing in test runs that do not use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: As ``order_guard.rulelang.loader.CASES_SUFFIX``; not imported, so loading the plugin stays free.
CASES_SUFFIX = ".cases.yaml"
_EXAMPLES_SEEN = pytest.StashKey[set]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.lower().endswith(CASES_SUFFIX):
        return RuleCaseFile.from_parent(parent, path=file_path)
    return None


class RuleCaseFile(pytest.File):
    def collect(self):  # type: ignore[no-untyped-def]
        from order_guard.errors import RuleFileError
        from order_guard.guard import Guard
        from order_guard.rulelang.cases import load_case_file

        try:
            case_file = load_case_file(self.path)
            guard = Guard(rules=case_file.rule_paths)
        except RuleFileError as err:
            raise self.CollectError(str(err)) from None
        for case in case_file.cases:
            yield RuleCaseItem.from_parent(self, name=case.name, case=case, guard=guard)
        # Each pack's examples once per session, however many case files test it.
        seen = self.config.stash.setdefault(_EXAMPLES_SEEN, set())
        for rule in guard.rules:
            if (rule.path, rule.id) not in seen:
                seen.add((rule.path, rule.id))
                yield RuleExamplesItem.from_parent(self, name=f"{rule.id} examples", rule=rule, guard=guard)


class _RuleItem(pytest.Item):
    """A test whose failure is a list of problems, reported under a title that names where."""

    title = ""
    where: tuple[Any, int | None] = (None, None)

    def __init__(self, *, guard: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.guard = guard

    def repr_failure(self, excinfo, style=None):  # type: ignore[no-untyped-def]
        if isinstance(excinfo.value, RuleCaseFailure):
            path, line = self.where
            return f"{self.title} ({path}:{line}) failed:\n" + "\n".join(excinfo.value.problems)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):  # type: ignore[no-untyped-def]
        path, line = self.where
        return path, (line or 1) - 1, self.title


class RuleCaseItem(_RuleItem):
    """One case of a case file: orders in, exactly the expected findings out."""

    def __init__(self, *, case: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.case = case
        self.title = f"rule case {case.name!r}"
        self.where = (case.path, case.line)

    def runtest(self) -> None:
        from order_guard.rulelang.cases import case_failures

        problems = case_failures(self.case, self.guard)
        if problems:
            raise RuleCaseFailure(problems)


class RuleExamplesItem(_RuleItem):
    """A rule's good and bad examples: bad ones must fire, good ones must not."""

    def __init__(self, *, rule: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.rule = rule
        self.title = f"examples of {rule.id}"
        self.where = (rule.path, rule.line)

    def runtest(self) -> None:
        from order_guard.rulelang.examples import example_failures

        problems = example_failures(self.rule, self.guard.registry.operators)
        if problems:
            raise RuleCaseFailure([f"  {problem}" for problem in problems])


class RuleCaseFailure(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@pytest.fixture(scope="session")
def guard():
    """A :class:`order_guard.guard.Guard` over the installed rule packs."""
    from order_guard.guard import Guard

    return Guard()


@dataclass
class CliResult:
    """What one in-process ``order-guard`` run returned and printed."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


@pytest.fixture
def order_guard_cli(capsys):
    """``order_guard_cli("check", path, "--format", "json")`` runs the CLI in-process (plugins
    as installed) and returns a :class:`CliResult`."""
    from order_guard.cli import main

    def run(*args: object) -> CliResult:
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
