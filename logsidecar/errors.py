"""The error tree. Rule errors carry the file, line, column and rule they are about."""

from __future__ import annotations

from dataclasses import dataclass


class LogsidecarError(Exception):
    """Base of every error logsidecar raises on purpose."""


@dataclass(frozen=True, order=True)
class RuleProblem:
    """One problem in a rule file, positioned at the offending key or value (1-based)."""

    file: str
    line: int
    column: int
    item: str  # e.g. "rule 'http_5xx'", "source 'app'", or "" for file-level problems
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        if self.item:
            return f"{where}: {self.item}: {self.message}"
        return f"{where}: {self.message}"


class RuleError(LogsidecarError):
    """A rule set failed to load. Holds every problem found, not just the first."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class StateError(LogsidecarError):
    """A checkpoint could not be read or written."""
