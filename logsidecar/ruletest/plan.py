"""A loaded, checked test file, ready to run: input cut into batches, selectors resolved.

Times in a plan are offsets from the test's `start`, in seconds. `generate` entries are expanded
here, with their placeholders (`{i}`, `{i:SPEC}`, `{at}`, `{at:STRFTIME}`; see `model`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from logsidecar.rules.ruleset import RuleSet
from logsidecar.ruletest.model import Generate
from logsidecar.ruletest.selectors import Series

LabelPairs = tuple[tuple[str, str], ...]
_PLACEHOLDER = re.compile(r"\{(i|at)(?::([^{}]*))?\}")


@dataclass(frozen=True)
class Where:
    """Where an assertion is written in its test file (1-based)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Batch:
    at: float
    source: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class MetricAssertion:
    at: float
    expect: tuple[tuple[Series, float], ...]
    absent: tuple[Series, ...]
    where: Where


@dataclass(frozen=True)
class FiringAlert:
    labels: LabelPairs  # sorted by name
    annotations: LabelPairs | None = None  # sorted by name; None: not compared


@dataclass(frozen=True)
class AnomalyAssertion:
    at: float
    detector: str
    firing: tuple[FiringAlert, ...]
    where: Where


@dataclass(frozen=True)
class CasePlan:
    name: str
    start: float  # seconds since the epoch
    batches: tuple[Batch, ...]  # in arrival order
    metrics: tuple[MetricAssertion, ...]
    anomalies: tuple[AnomalyAssertion, ...]
    where: Where


@dataclass(frozen=True)
class Suite:
    file: str
    ruleset: RuleSet
    interval: float  # evaluation_interval, seconds
    cases: tuple[CasePlan, ...]


def split_lines(text: str) -> list[str]:
    """The lines of a `line` value: a block scalar's newlines separate lines (a final newline
    ends the last one), and a trailing carriage return is dropped, as the tailer does."""
    parts = text.split("\n")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return [p.removesuffix("\r") for p in parts]


def render(template: str, index: int, moment: float) -> str:
    """A generated line: placeholders filled in for line `index` arriving at `moment` (epoch
    seconds). Raises ValueError for a format spec that does not apply."""
    if "{" not in template:
        return template

    def fill(m: re.Match[str]) -> str:
        spec = m.group(2)
        if m.group(1) == "i":
            return format(index, spec or "")
        when = datetime.fromtimestamp(moment, UTC)
        if spec:
            return when.strftime(spec)
        return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds").replace(
            "+00:00", "Z"
        )

    return _PLACEHOLDER.sub(fill, template)


def generated(spec: Generate, start: float) -> Iterable[tuple[float, str]]:
    """(offset, line) of every line `spec` makes, for a test starting at `start`."""
    for i in range(spec.count):
        at = spec.start + i * spec.every
        for line in split_lines(render(spec.line, i, start + at)):
            yield at, line


def batches(entries: Iterable[tuple[float, str, str]]) -> tuple[Batch, ...]:
    """(offset, source, line) in the order written to batches: one per source and instant, in
    time order; at one instant, sources in the order they first come."""
    grouped: dict[tuple[float, str], list[str]] = {}
    for at, source, line in sorted(entries, key=lambda e: e[0]):  # stable: written order kept
        grouped.setdefault((at, source), []).append(line)
    return tuple(Batch(at, source, tuple(lines)) for (at, source), lines in grouped.items())
