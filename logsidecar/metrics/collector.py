"""A prometheus-client Collector that renders the last published snapshot at scrape time."""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from logsidecar import __version__
from logsidecar.metrics.store import Histogram, MetricDef, Snapshot


def _family(metric: MetricDef, series: dict[tuple[str, ...], float | Histogram]) -> Metric:
    labels = list(metric.labels)
    if metric.kind == "counter":
        counter = CounterMetricFamily(metric.name, metric.help or metric.name, labels=labels)
        for values, value in series.items():
            if not isinstance(value, Histogram):
                counter.add_metric(list(values), value)
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
        buckets = []
        for bound, n in zip(bounds, value.counts, strict=True):
            cumulative += n
            buckets.append((bound, float(cumulative)))
        hist.add_metric(list(values), buckets, value.total)
    return hist


class SnapshotCollector(Collector):
    """Yields the published snapshot's metrics plus whatever `extra` builds at scrape time."""

    def __init__(
        self,
        snapshot: Callable[[], Snapshot],
        extra: Callable[[], Iterable[Metric]] = lambda: (),
    ) -> None:
        self._snapshot = snapshot
        self._extra = extra

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "logsidecar_build_info",
            "Build information: version and Python.",
            labels=["version", "python"],
        )
        info.add_metric([__version__, platform.python_version()], 1.0)
        yield info
        snap = self._snapshot()
        for name, metric in snap.defs.items():
            yield _family(metric, snap.series.get(name, {}))
        yield from self._extra()
