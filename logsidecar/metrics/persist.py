"""The metric store's section of the state file: series, their expiry bookkeeping, exemplars.

Per metric: its identity (kind, labels, buckets) and three lists of rows, compact for JSON:
- `series`: `[labels, value]` (counter, gauge) or `[labels, bucket_counts, sum, count]`;
- `seen`: `[labels, last_update]` for metrics with `expire_after`, so a restored series still
  expires on time;
- `exemplars`: `[labels, bucket, label, value, amount, time]`.
A metric is restored only when its saved identity is the one in force. Self gauges are left out:
they are recomputed at every commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from logsidecar.errors import StateError
from logsidecar.metrics.defs import Histogram, Kind, Labels, MetricDef, Value
from logsidecar.rules.observations import Exemplar

Series = dict[Labels, Value]
Exemplars = dict[Labels, dict[int, Exemplar]]
Seen = dict[Labels, float]


class SavedMetric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Kind
    labels: list[str]
    buckets: list[float] = []
    series: list[list[Any]] = []
    seen: list[tuple[list[str], float]] = []
    exemplars: list[tuple[list[str], int, str, str, float, float | None]] = []


def store_to_state(
    defs: Mapping[str, MetricDef],
    series: Mapping[str, Series],
    exemplars: Mapping[str, Exemplars],
    seen: Mapping[str, Seen],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in series.items():
        metric = defs[name]
        if metric.kind == "gauge" and name.startswith("logsidecar_"):
            continue  # self gauges are recomputed
        rows: list[list[Any]] = []
        for labels, value in values.items():
            if isinstance(value, Histogram):
                rows.append([list(labels), value.counts, value.total, value.count])
            else:
                rows.append([list(labels), value])
        entry: dict[str, Any] = {
            "kind": metric.kind,
            "labels": list(metric.labels),
            "buckets": list(metric.buckets),
            "series": rows,
        }
        if seen.get(name):
            entry["seen"] = [[list(labels), when] for labels, when in seen[name].items()]
        if exemplars.get(name):
            entry["exemplars"] = [
                [list(labels), bucket, ex.label, ex.value, ex.amount, ex.time]
                for labels, by_bucket in exemplars[name].items()
                for bucket, ex in by_bucket.items()
            ]
        out[name] = entry
    return out


def store_from_state(
    defs: Mapping[str, MetricDef], state: Mapping[str, Any], now: float
) -> dict[str, tuple[Series, Exemplars, Seen]]:
    """The saved series of each metric in force whose identity matches. A series of a metric
    with `expire_after` that has no saved last update (a version-1 state file) counts as
    updated `now`, so it expires `expire_after` later. Raises StateError on a malformed row."""
    restored: dict[str, tuple[Series, Exemplars, Seen]] = {}
    for name, raw in state.items():
        metric = defs.get(name)
        if metric is None:
            continue
        try:
            saved = SavedMetric.model_validate(raw)
            identity = (name, saved.kind, tuple(saved.labels), tuple(saved.buckets))
            if identity != metric.identity:
                continue
            restored[name] = _rows(metric, saved, now)
        except (ValidationError, TypeError, ValueError, IndexError) as exc:
            raise StateError(f"metric {name!r} in the state file: {exc}") from exc
    return restored


def _rows(metric: MetricDef, saved: SavedMetric, now: float) -> tuple[Series, Exemplars, Seen]:
    series: Series = {}
    for row in saved.series:
        labels = tuple(str(v) for v in row[0])
        if len(labels) != len(metric.labels):
            raise ValueError(f"series {row[0]!r} has {len(labels)} labels")
        if metric.kind == "histogram":
            counts = [int(n) for n in row[1]]
            if len(counts) != len(metric.buckets) + 1:
                raise ValueError(f"series {row[0]!r} has {len(counts)} buckets")
            series[labels] = Histogram(counts, float(row[2]), int(row[3]))
        else:
            series[labels] = float(row[1])
    seen: Seen = {}
    if metric.expire_after is not None:
        saved_seen = {tuple(labels): when for labels, when in saved.seen}
        seen = {labels: saved_seen.get(labels, now) for labels in series}
    exemplars: Exemplars = {}
    for saved_labels, bucket, label, value, amount, when in saved.exemplars:
        key = tuple(saved_labels)
        if key in series:
            exemplars.setdefault(key, {})[bucket] = Exemplar(label, value, amount, when)
    return series, exemplars, seen
