"""A prometheus-client Collector that renders the last published snapshot at scrape time."""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar as PromExemplar

from logsidecar import __version__
from logsidecar.metrics.store import Exemplar, Histogram, MetricDef, Snapshot

Labels = tuple[str, ...]


def _exemplar(found: Exemplar | None) -> PromExemplar | None:
    """Exemplars appear in OpenMetrics output only (prometheus-client drops them elsewhere)."""
    if found is None:
        return None
    return PromExemplar({found.label: found.value}, found.amount, found.time)


def _family(
    metric: MetricDef,
    series: dict[Labels, float | Histogram],
    exemplars: dict[Labels, dict[int, Exemplar]],
) -> Metric:
    labels = list(metric.labels)
    if metric.kind == "counter":
        counter = CounterMetricFamily(metric.name, metric.help or metric.name, labels=labels)
        for values, value in series.items():
            if not isinstance(value, Histogram):
                found = exemplars.get(values, {}).get(0)
                counter.add_metric(list(values), value, exemplar=_exemplar(found))
        return counter
    if metric.kind == "gauge":
        gauge = GaugeMetricFamily(metric.name, metric.help or metric.name, labels=labels)
        for values, value in series.items():
            if not isinstance(value, Histogram):
                gauge.add_metric(list(values), value)
        return gauge
    hist = HistogramMetricFamily(metric.name, metric.help or metric.name, labels=labels)
    bounds = [*(repr(float(b)) for b in metric.buckets), "+Inf"]
    for values, value in series.items():
        if not isinstance(value, Histogram):
            continue
        cumulative = 0
        by_bucket = exemplars.get(values, {})
        buckets: list[Any] = []
        for i, (bound, n) in enumerate(zip(bounds, value.counts, strict=True)):
            cumulative += n
            exemplar = _exemplar(by_bucket.get(i))
            if exemplar is None:
                buckets.append((bound, float(cumulative)))
            else:
                buckets.append((bound, float(cumulative), exemplar))
        hist.add_metric(list(values), buckets, value.total)
    return hist


def families(
    snap: Snapshot, include: Callable[[str], bool] = lambda name: True, ordered: bool = False
) -> Iterator[Metric]:
    """The snapshot's metrics as prometheus-client families (those whose name `include`s).
    `ordered`: series sorted by label values, not in the order they first appeared."""
    for name, metric in snap.defs.items():
        if include(name):
            series = snap.series.get(name, {})
            if ordered:
                series = dict(sorted(series.items()))
            yield _family(metric, series, snap.exemplars.get(name, {}))


class SnapshotCollector(Collector):
    """Yields the published snapshot's metrics plus whatever `extra` builds at scrape time."""

    def __init__(
        self,
        snapshot: Callable[[], Snapshot],
        extra: Callable[[], Iterable[Metric]] = lambda: (),
        build_info: bool = True,
        include: Callable[[str], bool] = lambda name: True,
        ordered: bool = False,
    ) -> None:
        self._snapshot = snapshot
        self._extra = extra
        self._build_info = build_info
        self._include = include
        self._ordered = ordered

    def collect(self) -> Iterator[Metric]:
        if self._build_info:
            info = GaugeMetricFamily(
                "logsidecar_build_info",
                "Build information: version and Python.",
                labels=["version", "python"],
            )
            info.add_metric([__version__, platform.python_version()], 1.0)
            yield info
        yield from families(self._snapshot(), self._include, self._ordered)
        yield from self._extra()
