"""A bounded store of metric series, fed observations a batch at a time.

Plain data only: no prometheus objects, no threads. The processing loop owns the store; the HTTP
side reads immutable snapshots of it, published at commit time.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from logsidecar.metrics.defs import SELF_METRICS, Histogram, Kind, Labels, MetricDef, Value
from logsidecar.metrics.persist import store_from_state, store_to_state
from logsidecar.rules.model import DEFAULT_BUCKETS
from logsidecar.rules.observations import Exemplar, Observations

OVERFLOW = "__overflow__"
__all__ = [
    "DEFAULT_BUCKETS",
    "OVERFLOW",
    "Exemplar",
    "Histogram",
    "Kind",
    "Labels",
    "MetricDef",
    "MetricStore",
    "Snapshot",
]


@dataclass
class Snapshot:
    """An immutable-by-convention copy of the store, for rendering."""

    defs: dict[str, MetricDef] = field(default_factory=dict)
    series: dict[str, dict[Labels, Value]] = field(default_factory=dict)
    exemplars: dict[str, dict[Labels, dict[int, Exemplar]]] = field(default_factory=dict)


class MetricStore:
    def __init__(self, defs: Iterable[MetricDef] = ()) -> None:
        self._defs: dict[str, MetricDef] = {}
        self._series: dict[str, dict[Labels, Value]] = {}
        self._exemplars: dict[str, dict[Labels, dict[int, Exemplar]]] = {}
        self._seen: dict[str, dict[Labels, float]] = {}  # last update, of metrics that expire
        self.define([*SELF_METRICS, *defs])

    def define(self, defs: Iterable[MetricDef]) -> None:
        """Set the metrics in force. Series of a metric whose identity (name, type, labels,
        buckets) is unchanged are kept: a new help text or max_series keeps them."""
        new = {d.name: d for d in defs}
        for own in SELF_METRICS:
            new.setdefault(own.name, own)
        for name, old in self._defs.items():
            now = new.get(name)
            if now is None or now.identity != old.identity:
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

    # -- checkpoints: the store's section of the state file (see metrics/persist.py) ------
    def to_state(self) -> dict[str, Any]:
        return store_to_state(self._defs, self._series, self._exemplars, self._seen)

    def from_state(self, state: Mapping[str, Any], now: float) -> None:
        """Restore the series (with their expiry bookkeeping and exemplars) of every metric
        whose saved identity matches the one in force; others are left out."""
        for name, (series, exemplars, seen) in store_from_state(self._defs, state, now).items():
            self._series[name] = series
            if exemplars:
                self._exemplars[name] = exemplars
            if seen:
                self._seen[name] = seen
