"""What a metric is: its definition, the logsidecar self-metrics, and the rules' metrics."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from logsidecar.rules.ruleset import RuleSet

Kind = Literal["counter", "gauge", "histogram"]
Labels = tuple[str, ...]


@dataclass(frozen=True)
class MetricDef:
    name: str
    kind: Kind
    help: str
    labels: Labels = ()
    buckets: tuple[float, ...] = ()
    max_series: int = 10_000
    expire_after: float | None = None  # drop a series not updated for this long

    @property
    def identity(self) -> tuple[str, Kind, Labels, tuple[float, ...]]:
        """What makes two definitions the same metric, whose series carry over a reload or a
        restart: name, type, labels and buckets. Help text, max_series and expire_after may
        change without losing a series."""
        return (self.name, self.kind, self.labels, self.buckets)


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
        "logsidecar_file_open_errors_total",
        "counter",
        "Times a file the globs match could not be opened (it is retried at later polls).",
        ("source",),
    ),
    MetricDef(
        "logsidecar_rotated_generations_read_total",
        "counter",
        "Rotated generations of a file, created and rotated away unseen (while logsidecar was"
        " down or busy), found and read.",
        ("source",),
    ),
    MetricDef(
        "logsidecar_rotated_generation_lines_total",
        "counter",
        "Lines read from rotated generations that were found unseen.",
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
