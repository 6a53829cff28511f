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

from logsidecar.rules.load import RuleSet
from logsidecar.rules.model import DEFAULT_BUCKETS
from logsidecar.rules.observations import Exemplar, Observations

Kind = Literal["counter", "gauge", "histogram"]
Labels = tuple[str, ...]
OVERFLOW = "__overflow__"
__all__ = ["DEFAULT_BUCKETS", "OVERFLOW", "Exemplar", "MetricDef", "MetricStore", "Snapshot"]


@dataclass(frozen=True)
class MetricDef:
    name: str
    kind: Kind
    help: str
    labels: Labels = ()
    buckets: tuple[float, ...] = ()
    max_series: int = 10_000
    expire_after: float | None = None  # drop a series not updated for this long


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
    exemplars: dict[str, dict[Labels, dict[int, Exemplar]]] = field(default_factory=dict)


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
    MetricDef(
        "logsidecar_timestamp_errors_total",
        "counter",
        "Events whose timestamp field did not parse (they carry their arrival time).",
        ("source",),
    ),
    MetricDef(
        "logsidecar_multiline_lines_dropped_total",
        "counter",
        "Continuation lines past a multiline event's max_lines, dropped.",
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
            defs[metric.name] = MetricDef(
                metric.name,
                metric.kind,
                metric.help,
                tuple(metric.label_map),
                metric.bucket_bounds if metric.kind == "histogram" else (),
                metric.max_series,
                metric.expire_after,
            )
    return list(defs.values())


class MetricStore:
    def __init__(self, defs: Iterable[MetricDef] = ()) -> None:
        self._defs: dict[str, MetricDef] = {}
        self._series: dict[str, dict[Labels, Value]] = {}
        self._exemplars: dict[str, dict[Labels, dict[int, Exemplar]]] = {}
        self._seen: dict[str, dict[Labels, float]] = {}  # last update, of metrics that expire
        self.define([*SELF_METRICS, *defs])

    def define(self, defs: Iterable[MetricDef]) -> None:
        """Set the metrics in force. Series of a metric whose definition is unchanged are kept."""
        new = {d.name: d for d in defs}
        for own in SELF_METRICS:
            new.setdefault(own.name, own)
        for name, old in self._defs.items():
            if new.get(name) != old:
                self._series.pop(name, None)
                self._exemplars.pop(name, None)
                self._seen.pop(name, None)
        self._defs = new
        for name in new:
            self._series.setdefault(name, {})

    @property
    def defs(self) -> Mapping[str, MetricDef]:
        return self._defs

    def _slot(self, name: str, labels: Labels, observations: float = 1.0) -> Labels:
        """Where `observations` for `labels` go: their own series, or the overflow series."""
        series = self._series[name]
        if labels in series:
            return labels
        metric = self._defs[name]
        if len(series) < metric.max_series:
            return labels
        self.inc("logsidecar_series_overflow_total", (name,), observations)
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
        self._observe(name, self._slot(name, labels, len(values)), values)

    def _observe(self, name: str, key: Labels, values: list[float]) -> None:
        metric = self._defs[name]
        series = self._series[name]
        hist = series.get(key)
        if not isinstance(hist, Histogram):
            hist = Histogram([0] * (len(metric.buckets) + 1))
            series[key] = hist
        hist.observe(metric.buckets, values)

    def apply(self, obs: Observations) -> None:
        """Fold one batch's observations in."""
        for counts, metric in (
            (obs.lines, "logsidecar_lines_total"),
            (obs.parse_errors, "logsidecar_parse_errors_total"),
            (obs.timestamp_errors, "logsidecar_timestamp_errors_total"),
            (obs.multiline_dropped, "logsidecar_multiline_lines_dropped_total"),
            (obs.rule_matches, "logsidecar_rule_matches_total"),
            (obs.value_errors, "logsidecar_value_errors_total"),
        ):
            for label, count in counts.items():
                self.inc(metric, (label,), count)
        slots: dict[tuple[str, Labels], Labels] = {}
        for (name, labels), (amount, n) in obs.counters.items():
            key = slots[(name, labels)] = self._slot(name, labels, n)
            series = self._series[name]
            series[key] = float(series.get(key, 0.0)) + amount  # type: ignore[arg-type]
        self._apply_gauges(obs, slots)
        for (name, labels), values in obs.histograms.items():
            key = slots[(name, labels)] = self._slot(name, labels, len(values))
            self._observe(name, key, values)
        for (name, labels), by_bucket in obs.exemplars.items():
            key = slots.get((name, labels), labels)
            self._exemplars.setdefault(name, {}).setdefault(key, {}).update(by_bucket)
        for (name, labels), when in obs.seen.items():
            key = slots.get((name, labels), labels)
            seen = self._seen.setdefault(name, {})
            seen[key] = max(when, seen.get(key, when))

    def _apply_gauges(self, obs: Observations, slots: dict[tuple[str, Labels], Labels]) -> None:
        fresh: dict[str, int] = {}
        for name, labels in obs.gauges:
            if labels not in self._series[name]:
                fresh[name] = fresh.get(name, 0) + 1
        folding = {
            name
            for name, n in fresh.items()
            if len(self._series[name]) + n > self._defs[name].max_series
        }
        for (name, labels), (is_set, value, n) in obs.gauges.items():
            if name in folding:
                continue
            key = slots[(name, labels)] = self._slot(name, labels, n)
            series = self._series[name]
            base = 0.0 if is_set else float(series.get(key, 0.0))  # type: ignore[arg-type]
            series[key] = base + value
        if not folding:
            return
        for (name, labels), is_set, amount in obs.gauge_ops:  # in event order: the last wins
            if name in folding:
                key = slots[(name, labels)] = self._slot(name, labels)
                series = self._series[name]
                base = 0.0 if is_set else float(series.get(key, 0.0))  # type: ignore[arg-type]
                series[key] = base + amount

    def expire(self, now: float) -> int:
        """Drop series of metrics with `expire_after` not updated since `now - expire_after`."""
        dropped = 0
        for name, seen in self._seen.items():
            after = self._defs[name].expire_after
            if after is None:
                continue
            series = self._series[name]
            exemplars = self._exemplars.get(name, {})
            for labels, when in list(seen.items()):
                if now - when >= after:
                    del seen[labels]
                    series.pop(labels, None)
                    exemplars.pop(labels, None)
                    dropped += 1
        return dropped

    def snapshot(self) -> Snapshot:
        exemplars = {
            name: {labels: dict(by_bucket) for labels, by_bucket in series.items()}
            for name, series in self._exemplars.items()
            if series
        }
        return Snapshot(dict(self._defs), copy.deepcopy(self._series), exemplars)

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
