"""A bounded store of metric series, fed observations a batch at a time.

Plain data only: no prometheus objects, no threads. The processing loop owns the store; the HTTP
side reads immutable snapshots of it, published at commit time.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from logsidecar.rules.engine import Observations
from logsidecar.rules.load import RuleSet

Kind = Literal["counter", "gauge", "histogram"]
Labels = tuple[str, ...]
OVERFLOW = "__overflow__"
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class MetricDef:
    name: str
    kind: Kind
    help: str
    labels: Labels = ()
    buckets: tuple[float, ...] = ()
    max_series: int = 10_000


@dataclass
class Histogram:
    counts: list[int]  # per bucket, not cumulative; the last is +Inf
    total: float = 0.0
    count: int = 0

    def observe(self, bounds: tuple[float, ...], values: Iterable[float]) -> None:
        counts = self.counts
        for value in values:
            counts[bisect.bisect_left(bounds, value)] += 1
            self.total += value
            self.count += 1


Value = float | Histogram


@dataclass
class Snapshot:
    """An immutable-by-convention copy of the store, for rendering."""

    defs: dict[str, MetricDef] = field(default_factory=dict)
    series: dict[str, dict[Labels, Value]] = field(default_factory=dict)


SELF_METRICS = (
    MetricDef("logsidecar_lines_total", "counter", "Lines read, per source.", ("source",)),
    MetricDef("logsidecar_bytes_total", "counter", "Bytes read, per source.", ("source",)),
    MetricDef(
        "logsidecar_parse_errors_total",
        "counter",
        "Lines the source's parser could not turn into an event (skipped).",
        ("source",),
    ),
    MetricDef(
        "logsidecar_lines_truncated_total",
        "counter",
        "Lines longer than the maximum line length, cut.",
        ("source",),
    ),
    MetricDef("logsidecar_rule_matches_total", "counter", "Events matched, per rule.", ("rule",)),
    MetricDef(
        "logsidecar_value_errors_total",
        "counter",
        "Matched events whose `value` field was missing or not a number (not observed).",
        ("metric",),
    ),
    MetricDef(
        "logsidecar_series_overflow_total",
        "counter",
        "Observations folded into the __overflow__ series because max_series was reached.",
        ("metric",),
    ),
    MetricDef("logsidecar_rotations_total", "counter", "Files rotated, per source.", ("source",)),
    MetricDef("logsidecar_truncations_total", "counter", "Files truncated in place.", ("source",)),
    MetricDef(
        "logsidecar_rotated_copies_read_total",
        "counter",
        "Rotated copies read for the bytes a copytruncate moved before they were read.",
        ("source",),
    ),
    MetricDef(
        "logsidecar_file_lag_bytes",
        "gauge",
        "Bytes written to a file and not yet read.",
        ("path",),
        max_series=100_000,
    ),
    MetricDef("logsidecar_open_files", "gauge", "Log files open for reading."),
)


def rule_metric_defs(ruleset: RuleSet) -> list[MetricDef]:
    defs: dict[str, MetricDef] = {}
    for compiled in ruleset.rules:
        for metric in compiled.rule.metrics:
            if metric.name in defs:
                continue
            buckets: tuple[float, ...] = ()
            if metric.kind == "histogram":
                buckets = tuple(metric.buckets) if metric.buckets else DEFAULT_BUCKETS
            defs[metric.name] = MetricDef(
                metric.name,
                metric.kind,
                metric.help,
                tuple(metric.label_map),
                buckets,
                metric.max_series,
            )
    return list(defs.values())


class MetricStore:
    def __init__(self, defs: Iterable[MetricDef] = ()) -> None:
        self._defs: dict[str, MetricDef] = {}
        self._series: dict[str, dict[Labels, Value]] = {}
        self.define([*SELF_METRICS, *defs])

    def define(self, defs: Iterable[MetricDef]) -> None:
        """Set the metrics in force. Series of a metric whose definition is unchanged are kept."""
        new = {d.name: d for d in defs}
        for own in SELF_METRICS:
            new.setdefault(own.name, own)
        for name, old in self._defs.items():
            if new.get(name) != old:
                self._series.pop(name, None)
        self._defs = new
        for name in new:
            self._series.setdefault(name, {})

    @property
    def defs(self) -> Mapping[str, MetricDef]:
        return self._defs

    def _slot(self, name: str, labels: Labels) -> Labels:
        series = self._series[name]
        if labels in series:
            return labels
        metric = self._defs[name]
        if len(series) < metric.max_series:
            return labels
        self.inc("logsidecar_series_overflow_total", (name,))
        return (OVERFLOW,) * len(labels)

    def inc(self, name: str, labels: Labels = (), amount: float = 1.0) -> None:
        key = self._slot(name, labels)
        series = self._series[name]
        series[key] = float(series.get(key, 0.0)) + amount  # type: ignore[arg-type]

    def set(self, name: str, labels: Labels, value: float) -> None:
        self._series[name][self._slot(name, labels)] = value

    def replace(self, name: str, values: Mapping[Labels, float]) -> None:
        """Replace every series of a gauge (series absent from `values` disappear)."""
        self._series[name] = dict(values)

    def observe(self, name: str, labels: Labels, values: list[float]) -> None:
        key = self._slot(name, labels)
        metric = self._defs[name]
        series = self._series[name]
        hist = series.get(key)
        if not isinstance(hist, Histogram):
            hist = Histogram([0] * (len(metric.buckets) + 1))
            series[key] = hist
        hist.observe(metric.buckets, values)

    def apply(self, source: str, obs: Observations) -> None:
        """Fold one batch's observations in."""
        if obs.lines:
            self.inc("logsidecar_lines_total", (source,), obs.lines)
        if obs.parse_errors:
            self.inc("logsidecar_parse_errors_total", (source,), obs.parse_errors)
        for rule, n in obs.rule_matches.items():
            self.inc("logsidecar_rule_matches_total", (rule,), n)
        for metric, n in obs.value_errors.items():
            self.inc("logsidecar_value_errors_total", (metric,), n)
        for (name, labels), amount in obs.counters.items():
            self.inc(name, labels, amount)
        for (name, labels), (is_set, value) in obs.gauges.items():
            key = self._slot(name, labels)
            series = self._series[name]
            base = 0.0 if is_set else float(series.get(key, 0.0))  # type: ignore[arg-type]
            series[key] = base + value
        for (name, labels), values in obs.histograms.items():
            self.observe(name, labels, values)

    def snapshot(self) -> Snapshot:
        return Snapshot(dict(self._defs), copy.deepcopy(self._series))

    # -- checkpoints -----------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, series in self._series.items():
            metric = self._defs[name]
            if metric.kind == "gauge" and name.startswith("logsidecar_"):
                continue  # self gauges are recomputed
            rows = []
            for labels, value in series.items():
                if isinstance(value, Histogram):
                    rows.append([list(labels), value.counts, value.total, value.count])
                else:
                    rows.append([list(labels), value])
            out[name] = {
                "kind": metric.kind,
                "labels": list(metric.labels),
                "buckets": list(metric.buckets),
                "series": rows,
            }
        return out

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore series of metrics whose definition matches the saved one."""
        for name, saved in state.items():
            metric = self._defs.get(name)
            if metric is None or saved.get("kind") != metric.kind:
                continue
            if saved.get("labels") != list(metric.labels):
                continue
            if saved.get("buckets") != list(metric.buckets):
                continue
            series: dict[Labels, Value] = {}
            for row in saved.get("series", []):
                labels = tuple(row[0])
                if metric.kind == "histogram":
                    series[labels] = Histogram(list(row[1]), float(row[2]), int(row[3]))
                else:
                    series[labels] = float(row[1])
            self._series[name] = series
