"""Typed, frozen models of a rule test file (`logsidecar test FILE...`, promtool style).

```yaml
rule_files: [nginx.yaml]            # relative to this file; files or directories, merged
evaluation_interval: 1s             # optional (default 1s): how often detectors are evaluated
tests:
  - name: 5xx are counted by status
    start: "2026-01-01T00:00:00Z"   # RFC 3339, with a zone: the virtual clock's 0
    input:
      - source: nginx               # a source of the rule files
        lines:                      # each arrives at start + at
          - {at: 10s, line: '10.0.0.1 - - [...] "GET / HTTP/1.1" 500 0 "-" "-"'}
        generate:                   # count lines, at start, start + every, ...
          - {start: 1m, every: 1s, count: 60, line: 'req {i} at {at}'}
    metrics:
      - at: 2m
        expect: {'nginx_http_server_errors_total{status="500"}': 1}
        absent: ['nginx_http_server_errors_total{status="502"}']
    anomalies:
      - {at: 3m, detector: Burst, firing: [{labels: {status: "500", severity: page}}]}
```

- Time is virtual: every line arrives at `start + at`; the lines of one source and one instant
  are one batch. A `line` holding newlines (a YAML block scalar) is several lines arriving at
  once: handy for stack traces.
- `generate` lines may use placeholders: `{i}` (the line's index, 0 to count-1; `{i:03d}` takes a
  Python format spec), `{at}` (its arrival time, RFC 3339 in UTC) and `{at:FORMAT}` (a strftime
  format, in UTC, e.g. `{at:%d/%b/%Y:%H:%M:%S +0000}` for nginx). Other braces are kept as written,
  so JSON lines need no escaping.
- `metrics` read the series after every line that arrived at or before `at`: `expect` maps a
  series (`name{label="value",...}`, every label of the metric; for histograms `name_bucket{...,
  le="0.1"}`, `name_sum`, `name_count`) to its value; `absent` lists series that must not exist.
- `anomalies` list a detector's firing alerts at `at` (pending ones are not firing), each by its
  `labels` (the group_by labels plus the detector's static labels), compared exactly; `firing: []`
  says none fires. Optional `annotations` (rendered) are compared when given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, Strict, field_validator

from logsidecar.rules.durations import Duration
from logsidecar.rules.frozen import Frozen

MAX_COUNT = 1_000_000  # lines one `generate` entry may make


def parse_instant(value: object) -> float:
    """Seconds since the epoch of an RFC 3339 time with a zone (`2026-01-01T00:00:00Z`)."""
    if not isinstance(value, str):
        raise ValueError(f'not an RFC 3339 time: {value!r} (write e.g. "2026-01-01T00:00:00Z")')
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f'not an RFC 3339 time: {value!r} (write e.g. "2026-01-01T00:00:00Z")'
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no zone: end it in Z or an offset such as +02:00")
    return moment.timestamp()


def _label_value(value: object) -> object:
    """Label values are text; a number written bare (`status: 500`) means its text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Instant = Annotated[float, BeforeValidator(parse_instant)]
LabelValue = Annotated[str, BeforeValidator(_label_value)]
Number = Annotated[float, Strict()]  # an int or a float; not a bool, not a string


class LineAt(Frozen):
    """One line (or several, when it holds newlines) arriving at `at`."""

    at: Duration
    line: str


class Generate(Frozen):
    """`count` lines, the first at `start`, then one every `every`."""

    start: Duration = 0.0
    every: Duration = 1.0
    count: int = Field(ge=1, le=MAX_COUNT)
    line: str


class Input(Frozen):
    source: str = Field(min_length=1)
    lines: list[LineAt] = Field(default_factory=list)
    generate: list[Generate] = Field(default_factory=list)


class MetricCheck(Frozen):
    at: Duration
    expect: dict[str, Number] = Field(default_factory=dict)
    absent: list[str] = Field(default_factory=list)


class Firing(Frozen):
    labels: dict[str, LabelValue] = Field(default_factory=dict)
    annotations: dict[str, str] | None = None  # compared only when given


class AnomalyCheck(Frozen):
    at: Duration
    detector: str = Field(min_length=1)
    firing: list[Firing]


class Case(Frozen):
    """One test: its input, and what must hold at given instants."""

    name: str = Field(min_length=1)
    start: Instant
    input: list[Input] = Field(default_factory=list)
    metrics: list[MetricCheck] = Field(default_factory=list)
    anomalies: list[AnomalyCheck] = Field(default_factory=list)


class RuleTests(Frozen):
    """A whole test file."""

    rule_files: list[str] = Field(min_length=1)
    evaluation_interval: Duration = 1.0
    tests: list[Case] = Field(min_length=1)

    @field_validator("evaluation_interval")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("`evaluation_interval` must be longer than 0")
        return value
