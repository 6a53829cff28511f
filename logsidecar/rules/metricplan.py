"""One metric of one rule, ready to observe events: the engine's per-metric work.

Labels are read from the event's fields; `value` (scaled) feeds counters, gauges and
histograms; exemplars keep the last value of their field with the observation they came with;
`seen` records the last update of series that may expire. Everything goes into `Observations`,
aggregated over a batch.
"""

from __future__ import annotations

import bisect
from typing import Any

from logsidecar.rules.conditions import as_number, as_text
from logsidecar.rules.model import Metric
from logsidecar.rules.observations import Exemplar, Observations, bump
from logsidecar.rules.parse import Event

EXEMPLAR_MAX_CHARS = 128  # OpenMetrics: label names and values of an exemplar, together


def label_text(value: Any) -> str:
    """A field's value as a label value (and as a detector's group value): "" when missing."""
    if value is None:
        return ""
    return value if isinstance(value, str) else as_text(value)


class MetricPlan:
    """One metric of one rule, ready to observe events."""

    __slots__ = (
        "action",
        "buckets",
        "exemplar",
        "expires",
        "fields",
        "kind",
        "name",
        "scale",
        "value",
    )

    def __init__(self, metric: Metric) -> None:
        self.name = metric.name
        self.kind = metric.kind
        self.fields = tuple(metric.label_map.values())
        self.value = metric.value
        self.scale = metric.scale
        self.action = metric.action or "set"
        self.buckets = metric.bucket_bounds
        self.exemplar = metric.exemplar
        self.expires = metric.expire_after is not None

    def observe(
        self, obs: Observations, event: Event, time: float, stamped: bool, seen: float
    ) -> None:
        key = (self.name, tuple([label_text(event.get(f)) for f in self.fields]))
        amount = 1.0
        if self.value is not None:
            number = as_number(event.get(self.value))
            if number is None or (number < 0 and self.kind == "counter"):
                bump(obs.value_errors, self.name)
                return
            amount = number if self.scale is None else number * self.scale
        if self.kind == "counter":
            entry = obs.counters.get(key)
            if entry is None:
                obs.counters[key] = [amount, 1.0]
            else:
                entry[0] += amount
                entry[1] += 1.0
        elif self.kind == "histogram":
            values = obs.histograms.get(key)
            if values is None:
                obs.histograms[key] = [amount]
            else:
                values.append(amount)
        else:
            self._gauge(obs, key, amount)
        if self.exemplar is not None:
            self._exemplar(obs, key, event.get(self.exemplar), amount, time if stamped else None)
        if self.expires:
            obs.seen[key] = seen

    @property
    def weightable(self) -> bool:
        """Whether n identical events can be observed at once (no per-event value or exemplar)."""
        if self.value is not None or self.exemplar is not None:
            return False
        return self.kind == "counter" or (self.kind == "gauge" and self.action != "set")

    def observe_many(self, obs: Observations, event: Event, n: int, seen: float) -> None:
        """Observe `n` events with the same fields (only when `weightable`)."""
        key = (self.name, tuple([label_text(event.get(f)) for f in self.fields]))
        if self.kind == "counter":
            entry = obs.counters.get(key)
            if entry is None:
                obs.counters[key] = [float(n), float(n)]
            else:
                entry[0] += n
                entry[1] += n
        else:  # a gauge moved by inc/dec
            delta = float(n) if self.action == "inc" else -float(n)
            obs.gauge_ops.append((key, False, delta))
            entry = obs.gauges.get(key)
            if entry is None:
                obs.gauges[key] = [0.0, delta, float(n)]
            else:
                entry[1] += delta
                entry[2] += n
        if self.expires:
            obs.seen[key] = seen

    def _gauge(self, obs: Observations, key: tuple[str, tuple[str, ...]], amount: float) -> None:
        entry = obs.gauges.get(key)
        obs.gauge_ops.append(
            (key, self.action == "set", amount if self.action != "dec" else -amount)
        )
        if self.action == "set":
            if entry is None:
                obs.gauges[key] = [1.0, amount, 1.0]
            else:
                entry[0], entry[1], entry[2] = 1.0, amount, entry[2] + 1.0
            return
        delta = amount if self.action == "inc" else -amount
        if entry is None:
            obs.gauges[key] = [0.0, delta, 1.0]
        else:
            entry[1] += delta
            entry[2] += 1.0

    def _exemplar(
        self,
        obs: Observations,
        key: tuple[str, tuple[str, ...]],
        raw: Any,
        amount: float,
        time: float | None,
    ) -> None:
        value = label_text(raw)
        label = self.exemplar or ""
        if not value or len(label) + len(value) > EXEMPLAR_MAX_CHARS:
            return
        bucket = bisect.bisect_left(self.buckets, amount) if self.kind == "histogram" else 0
        obs.exemplars.setdefault(key, {})[bucket] = Exemplar(label, value, amount, time)
