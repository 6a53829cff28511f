"""Typed, frozen models of a rule file. Bad rules fail here, at load, never while streaming.

`match` blocks are kept as plain data in the models and compiled by `rules.conditions`, which
knows the position of every key and so can point at the offending one. Detectors, one model per
`type`, are in `rules.detectors`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from logsidecar.rules.detectors import Detector as Detector  # re-exported
from logsidecar.rules.durations import Duration
from logsidecar.rules.frozen import LABEL_NAME, Frozen
from logsidecar.rules.timestamps import format_problem

Scalar = str | int | float | bool
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Multiline(Frozen):
    start: str
    max_lines: int = Field(default=500, ge=1, le=100_000)
    timeout: Duration = 2.0


class Timestamp(Frozen):
    field: str = Field(min_length=1)
    format: str = "rfc3339"  # rfc3339 | unix | unix_ms | unix_us | unix_ns | a strptime format

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        problem = format_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class Source(Frozen):
    name: str = Field(min_length=1)
    paths: list[str] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)
    format: Literal["raw", "regex", "json", "logfmt"] = "raw"
    pattern: str | None = None
    multiline: Multiline | None = None
    timestamp: Timestamp | None = None
    start_at: Literal["beginning", "end"] = "beginning"

    @model_validator(mode="after")
    def _pattern_goes_with_regex(self) -> Source:
        if self.format == "regex" and not self.pattern:
            raise ValueError("format: regex needs a `pattern`")
        if self.format != "regex" and self.pattern is not None:
            raise ValueError("`pattern` is only used with format: regex")
        return self


MetricKind = Literal["counter", "gauge", "histogram"]


class Metric(Frozen):
    counter: str | None = None
    gauge: str | None = None
    histogram: str | None = None
    help: str = ""
    labels: list[str] | dict[str, str] = Field(default_factory=list)
    value: str | None = None
    scale: float | None = None  # multiplies `value` (e.g. 0.001: milliseconds to seconds)
    action: Literal["set", "inc", "dec"] | None = None
    buckets: list[float] | None = None
    max_series: int = Field(default=10_000, ge=1)
    expire_after: Duration | None = None
    exemplar: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Metric:
        kinds = [k for k in ("counter", "gauge", "histogram") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a metric needs exactly one of `counter`, `gauge` or `histogram`")
        if self.kind == "histogram" and self.value is None:
            raise ValueError("a histogram needs `value`: the numeric field to observe")
        if self.kind == "gauge" and self.action in ("set", None) and self.value is None:
            raise ValueError("a gauge with action `set` needs `value`")
        return self

    @field_validator("action")
    @classmethod
    def _action_for_gauges(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("gauge") is None:
            raise ValueError("`action` is only for gauges")
        return value

    @field_validator("scale")
    @classmethod
    def _scale_needs_value(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("value") is None:
            raise ValueError("`scale` multiplies `value`: set `value` too")
        return value

    @field_validator("buckets")
    @classmethod
    def _histogram_buckets(
        cls, value: list[float] | None, info: ValidationInfo
    ) -> list[float] | None:
        if value is None:
            return value
        if info.data.get("histogram") is None:
            raise ValueError("`buckets` is only for histograms")
        if not value:
            raise ValueError("`buckets` needs at least one bound")
        if not all(math.isfinite(b) for b in value):
            raise ValueError("bucket bounds must be finite (+Inf is always added)")
        if list(value) != sorted(set(value)):
            raise ValueError("`buckets` must be strictly increasing")
        return value

    @field_validator("exemplar")
    @classmethod
    def _exemplar_label(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("gauge") is not None:
            raise ValueError("`exemplar` is only for counters and histograms")
        if value is not None and not LABEL_NAME.match(value):
            raise ValueError(
                f"`exemplar` names a field that becomes the exemplar's label: {value!r} "
                "is not a valid label name"
            )
        return value

    @property
    def kind(self) -> MetricKind:
        if self.counter is not None:
            return "counter"
        if self.gauge is not None:
            return "gauge"
        return "histogram"

    @property
    def name(self) -> str:
        return self.counter or self.gauge or self.histogram or ""

    @property
    def bucket_bounds(self) -> tuple[float, ...]:
        """A histogram's bucket upper bounds (without +Inf)."""
        return tuple(float(b) for b in self.buckets) if self.buckets else DEFAULT_BUCKETS

    @property
    def label_map(self) -> dict[str, str]:
        """Label name -> field name."""
        if isinstance(self.labels, dict):
            return dict(self.labels)
        return {name: name for name in self.labels}


class Rule(Frozen):
    name: str = Field(min_length=1)
    source: str | None = None
    match: dict[str, Any] | None = None
    metrics: list[Metric] = Field(default_factory=list)


class RuleFile(Frozen):
    version: Literal[1]
    sources: list[Source] = Field(default_factory=list)
    lists: dict[str, list[Scalar]] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    detectors: list[Detector] = Field(default_factory=list)
