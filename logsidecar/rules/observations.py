"""What the engine hands the metric store for one batch: changes aggregated over the batch.

Plain data only, so the store is touched once per batch and series, not once per line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from logsidecar.rules.taps import Tap, TapBatch

SeriesKey = tuple[str, tuple[str, ...]]  # metric name, label values in the metric's label order


class Exemplar(NamedTuple):
    """The last observation of a series (or histogram bucket) that carried, e.g., a trace id."""

    label: str
    value: str
    amount: float
    time: float | None  # event time when the source has a timestamp, else None


@dataclass
class Observations:
    """Counters and histograms add; gauges are set or moved. Counts are per source/rule/metric."""

    counters: dict[SeriesKey, list[float]] = field(default_factory=dict)  # [amount, n observed]
    gauges: dict[SeriesKey, list[float]] = field(default_factory=dict)  # [is_set, value, n]
    # every gauge update in event order, for when series fold into the overflow series (the
    # last write must win there, whichever of the folded series it came from)
    gauge_ops: list[tuple[SeriesKey, bool, float]] = field(default_factory=list)
    histograms: dict[SeriesKey, list[float]] = field(default_factory=dict)  # observed values
    exemplars: dict[SeriesKey, dict[int, Exemplar]] = field(default_factory=dict)  # by bucket
    seen: dict[SeriesKey, float] = field(default_factory=dict)  # last update, if it can expire
    rule_matches: dict[str, int] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # lines read, per source
    events: dict[str, int] = field(default_factory=dict)  # events parsed or not, per source
    parse_errors: dict[str, int] = field(default_factory=dict)
    timestamp_errors: dict[str, int] = field(default_factory=dict)
    multiline_dropped: dict[str, int] = field(default_factory=dict)
    value_errors: dict[str, int] = field(default_factory=dict)  # metric -> non-numeric values
    latest: float | None = None  # the latest event time read from a timestamp field
    # what the detectors read: per tap of the rule set that matched in the batch (a tap without
    # a match has no entry)
    taps: dict[Tap, TapBatch] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.lines or self.events or self.multiline_dropped)


def bump(counts: dict[str, int], key: str, n: int = 1) -> None:
    if n:
        counts[key] = counts.get(key, 0) + n
