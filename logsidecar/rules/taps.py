"""What detectors need from the engine: taps on rule matches, aggregated per batch.

A `Tap` names a rule, the fields whose values make a detector's group, and (for aggregates,
`new_value` and `cardinality`) one value field. The engine fills one `TapBatch` per tap and batch:
matches counted per (time, group), values counted per (time, group) and value, and the last few
matching lines. Time is the event's own (`timestamp`) in replays and rule tests, else the arrival
time. Plain data: the detectors (`logsidecar.detect`) never see an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from logsidecar.rules.detectors import (
    Absence,
    Cardinality,
    NewValue,
    Ratio,
    Spike,
    Threshold,
)
from logsidecar.rules.model import Detector

Labels = tuple[str, ...]
TimeGroup = tuple[float, Labels]  # (time, group values in the tap's `group` order)
SAMPLES = 3  # matching lines kept per tap and batch (and per detector group)
SAMPLE_BYTES = 512  # each cut to this many bytes (UTF-8)


@dataclass(frozen=True)
class Tap:
    rule: str
    group: tuple[str, ...] = ()  # field names; a missing field's value is ""
    field: str | None = None  # the value field; None: matches are only counted


@dataclass
class TapBatch:
    counts: dict[TimeGroup, int] = field(default_factory=dict)  # matches
    # for taps with a field: each value (as text, like a label value) and how often it came;
    # a match without the field counts in `counts` only
    values: dict[TimeGroup, dict[str, int]] = field(default_factory=dict)
    # the last SAMPLES matches of each (time, group) of the batch (time, group, line cut by
    # cut_sample), oldest first
    samples: list[tuple[float, Labels, str]] = field(default_factory=list)


def taps_for(detector: Detector) -> tuple[Tap, ...]:
    """The taps a detector reads, in the order its measure numbers them (0, 1, ...)."""
    if isinstance(detector, Threshold):
        value = detector.field if detector.aggregate != "count" else None
        return (Tap(detector.rule, tuple(detector.group_by), value),)
    if isinstance(detector, Ratio):
        group = tuple(detector.group_by)
        return (Tap(detector.numerator, group), Tap(detector.denominator, group))
    if isinstance(detector, Spike | Absence):
        return (Tap(detector.rule, tuple(detector.group_by)),)
    if isinstance(detector, NewValue):
        return (Tap(detector.rule, (), detector.field),)
    if isinstance(detector, Cardinality):
        return (Tap(detector.rule, tuple(detector.group_by), detector.field),)
    return ()  # new_template, template_rate: fed by the template miner, not by rules


def all_taps(detectors: tuple[Detector, ...]) -> tuple[Tap, ...]:
    """Every tap of every detector, each once, in first-use order."""
    return tuple(dict.fromkeys(t for d in detectors for t in taps_for(d)))


def cut_sample(text: str) -> str:
    data = text.encode("utf-8", "replace")
    if len(data) <= SAMPLE_BYTES:
        return text
    return data[:SAMPLE_BYTES].decode("utf-8", "ignore")


def merge_taps(into: dict[Tap, TapBatch], more: Mapping[Tap, TapBatch]) -> None:
    """Add the batches of `more` to `into` (which may hold earlier batches of the same taps):
    counts and value counts add, the last SAMPLES samples of each (time, group) stay. `more` is
    left unchanged."""
    for tap, batch in more.items():
        have = into.get(tap)
        if have is None:
            into[tap] = TapBatch(
                dict(batch.counts),
                {key: dict(values) for key, values in batch.values.items()},
                last_samples(batch.samples),
            )
            continue
        counts = have.counts
        for key, n in batch.counts.items():
            counts[key] = counts.get(key, 0) + n
        for key, values in batch.values.items():
            mine = have.values.get(key)
            if mine is None:
                have.values[key] = dict(values)
            else:
                for value, n in values.items():
                    mine[value] = mine.get(value, 0) + n
        if batch.samples:
            have.samples = last_samples(have.samples + batch.samples)


def last_samples(samples: list[tuple[float, Labels, str]]) -> list[tuple[float, Labels, str]]:
    """The last SAMPLES of each (time, group), in time order (stable: the order within one
    time and group is kept)."""
    seen: dict[tuple[float, Labels], int] = {}
    kept: list[tuple[float, Labels, str]] = []
    for sample in reversed(samples):
        key = (sample[0], sample[1])
        n = seen.get(key, 0)
        if n < SAMPLES:
            seen[key] = n + 1
            kept.append(sample)
    kept.reverse()
    kept.sort(key=lambda s: s[0])
    return kept
