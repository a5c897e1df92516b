"""The user-facing error taxonomy and the documented exit codes.

Every error a user can cause (a bad flag, a typo in a rule file, a file that
cannot be read) is an :class:`OrderGuardError`: the CLI prints it as one line
and exits with its code. Anything else is a bug and shows a traceback.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit codes of ``order-guard`` (a contract: warehouse gates rely on them)."""

    #: No finding at or above ``--fail-on``.
    CLEAN = 0
    #: Findings at or above ``--fail-on``.
    FINDINGS = 1
    #: Usage, configuration, plugin or rule-file error: nothing was checked.
    USAGE = 2
    #: A source could not be read completely: the data could not be proved clean.
    INCOMPLETE = 3
    #: Stopped by SIGINT (128 + 2).
    INTERRUPTED = 130
    #: Stopped by SIGTERM (128 + 15).
    TERMINATED = 143


class OrderGuardError(Exception):
    """Base of every error shown to the user as one line, without a traceback."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(OrderGuardError):
    """A command-line flag, argument or configuration value is wrong."""


class PluginError(OrderGuardError):
    """A plugin could not be loaded or contributes something invalid."""


def where(path: object, line: int | None = None) -> str:
    """``path:line`` as editors and CI annotations understand it."""
    return f"{path}:{line}" if line else str(path)


class RuleFileError(OrderGuardError):
    """A rule file is invalid. Carries every problem found, not only the first."""

    def __init__(self, problems: list[RuleProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class RuleProblem:
    """One problem in a rule file, scoped to file, line and rule id."""

    def __init__(self, path: object, line: int | None, message: str, rule_id: str | None = None):
        self.path = path
        self.line = line
        self.rule_id = rule_id
        self.message = message

    def __str__(self) -> str:
        scope = f"rule {self.rule_id}: " if self.rule_id else ""
        return f"{where(self.path, self.line)}: {scope}{self.message}"

    def __repr__(self) -> str:
        return f"RuleProblem({str(self)!r})"


class SourceError(OrderGuardError):
    """A dataset could not be read at all (missing file, unknown format, ...)."""

    exit_code = ExitCode.INCOMPLETE

    def __init__(self, path: object, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.detail = message
        super().__init__(f"{where(path, line)}: {message}")


class OutputError(OrderGuardError):
    """The report could not be delivered (standard output failed): nothing was proved clean."""

    exit_code = ExitCode.INCOMPLETE


class UnreadableRecord(Exception):
    """One record could not be read; the run goes on and counts it as unreadable.

    Raised by format mappings and caught by the dataset reader, which records
    the path and line. Not an :class:`OrderGuardError`: it never ends a run.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
