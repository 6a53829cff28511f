"""The detectors' state as Prometheus families, built at scrape time from the committed
`AnomalySnapshot` (so resolved alerts disappear and nothing shows that a crash could undo).

- `logsidecar_anomaly{detector, state, <group_by labels>, <static labels>} 1`: each alert pending
  or firing;
- `logsidecar_anomaly_value{detector, <group_by labels>}`: each group's measured value now;
- `logsidecar_anomalies_total{detector}`: times the detector went to firing;
- `logsidecar_detector_overflow_total{detector}`: inputs refused or evicted to keep the state
  bounded (`max_groups`, `max_tracked`).

Detectors group by different labels, so one family holds samples with different label names.
Samples are sorted (detector, then labels): the output does not depend on input order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from logsidecar.detect.alerts import AnomalySnapshot


def anomaly_families(snap: AnomalySnapshot) -> Iterator[Metric]:
    anomaly = GaugeMetricFamily(
        "logsidecar_anomaly",
        "An anomaly pending or firing: 1 per alert (resolved ones disappear).",
    )
    for alert in sorted(snap.active, key=lambda a: (a.detector, a.state, a.labels)):
        labels = {"detector": alert.detector, "state": alert.state, **dict(alert.labels)}
        anomaly.add_sample("logsidecar_anomaly", labels, 1.0)
    yield anomaly
    value = GaugeMetricFamily(
        "logsidecar_anomaly_value",
        "What each detector measures now, per group (a count, a ratio, a score).",
    )
    for detector, group, number in sorted(snap.values):
        if not math.isnan(number):
            value.add_sample(
                "logsidecar_anomaly_value", {"detector": detector, **dict(group)}, number
            )
    yield value
    totals = CounterMetricFamily(
        "logsidecar_anomalies_total", "Times a detector went to firing.", labels=["detector"]
    )
    for detector, n in sorted(snap.totals.items()):
        totals.add_metric([detector], float(n))
    yield totals
    overflow = CounterMetricFamily(
        "logsidecar_detector_overflow_total",
        "Inputs a detector refused or evicted to keep its state bounded (max_groups, max_tracked).",
        labels=["detector"],
    )
    for detector, n in sorted(snap.overflow.items()):
        overflow.add_metric([detector], float(n))
    yield overflow
