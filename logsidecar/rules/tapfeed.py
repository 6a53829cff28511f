"""Filling the detectors' taps over one batch: what the engine does for a tap on a match.

A `TapSink` fills one `TapBatch` while the engine walks a batch: `add` for one matching event,
`add_many` for n alike events (the grouped path), `batch()` at the end. Its per-match cost is a
couple of dict operations; the samples it keeps are the last `SAMPLES` matches of each time and
group (so a detector that changes state in the middle of a long replayed batch still has that
group's lines of that moment), cut only once, at the end.

Taps that need nothing of an event (no group, no value field) when every event of the batch has
the same time are not fed per match at all: their count is the rule's match count, and their
samples come from `sample_from_end`, a bounded backwards scan over the batch's events at its end.
Group values and values are text, as label values are (`metricplan.label_text`); a missing field
(or a JSON null) is "" in a group and is not a value.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence

from logsidecar.rules.conditions import Predicate
from logsidecar.rules.metricplan import label_text
from logsidecar.rules.parse import Event
from logsidecar.rules.taps import SAMPLES, Labels, Tap, TapBatch, cut_sample, merge_taps

SCAN_LIMIT = 200  # events looked at (backwards) per batch to find samples for counted taps


def group_of(fields: tuple[str, ...], event: Event) -> Labels:
    """The values of a tap's group fields in an event, as text ("" when missing)."""
    return tuple([label_text(event.get(f)) for f in fields]) if fields else ()


class TapSink:
    """One tap's batch being filled."""

    __slots__ = ("_recent", "counts", "field", "group", "tap", "values")

    def __init__(self, tap: Tap) -> None:
        self.tap = tap
        self.group = tap.group
        self.field = tap.field
        self.counts: dict[tuple[float, Labels], int] = {}
        self.values: dict[tuple[float, Labels], dict[str, int]] = {}
        self._recent: dict[tuple[float, Labels], deque[str]] = {}

    def add(self, event: Event, time: float, text: str) -> None:
        """One matching event (`text` is its raw text, for the samples)."""
        fields = self.group
        if not fields:
            group: Labels = ()
        elif len(fields) == 1:  # the usual group_by: one label, without building a list
            raw = event.get(fields[0])
            group = (raw if raw.__class__ is str else label_text(raw),)
        else:
            group = group_of(fields, event)
        key = (time, group)
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1
        if self.field is not None:
            raw = event.get(self.field)
            if raw is not None:
                value = raw if raw.__class__ is str else label_text(raw)
                values = self.values.get(key)
                if values is None:
                    self.values[key] = {value: 1}
                else:
                    values[value] = values.get(value, 0) + 1
        recent = self._recent.get(key)
        if recent is None:
            self._recent[key] = deque((text,), maxlen=SAMPLES)
        else:
            recent.append(text)

    def add_many(self, event: Event, time: float, n: int) -> None:
        """`n` matching events with the fields of `event` (no samples: see `sample_from_end`)."""
        group = group_of(self.group, event)
        key = (time, group)
        self.counts[key] = self.counts.get(key, 0) + n
        if self.field is not None:
            raw = event.get(self.field)
            if raw is not None:
                values = self.values.setdefault(key, {})
                value = label_text(raw)
                values[value] = values.get(value, 0) + n

    def add_count(self, time: float, n: int) -> None:
        """`n` matches at `time` of a tap with no group and no field."""
        if n:
            key = (time, ())
            self.counts[key] = self.counts.get(key, 0) + n

    def sample(self, event: Event, time: float, text: str) -> None:
        """A sample found by `sample_from_end` (given oldest first)."""
        key = (time, group_of(self.group, event))
        recent = self._recent.get(key)
        if recent is None:
            self._recent[key] = deque((text,), maxlen=SAMPLES)
        else:
            recent.append(text)

    def batch(self) -> TapBatch | None:
        """What was filled, or None when nothing matched."""
        if not self.counts:
            return None
        samples = [
            (t, g, cut_sample(text))
            for (t, g), texts in sorted(self._recent.items(), key=lambda item: item[0][0])
            for text in texts
        ]
        return TapBatch(self.counts, self.values, samples)


# a rule whose samples are wanted: its predicate, whether it captures, how many samples (at
# most its number of matches in the batch), and the sinks of its taps
Wanted = tuple[Predicate | None, bool, int, Sequence[TapSink]]


def sample_from_end(
    events: Sequence[str],
    parse: Callable[[str], Event | None],
    time: float,
    wanted: Sequence[Wanted],
    limit: int = SCAN_LIMIT,
) -> None:
    """Give each wanted rule's sinks the rule's last matches as samples (at `time`): the batch's
    events are parsed again from its end, at most `limit` of them, until every rule has its
    samples. A rule matching less often than that in a long batch may get fewer samples."""
    found: list[list[tuple[Event, str]]] = [[] for _ in wanted]
    todo = [i for i, w in enumerate(wanted) if w[2] > 0]
    for text in reversed(events[-limit:] if limit < len(events) else events):
        if not todo:
            break
        event = parse(text)
        if event is None:
            continue
        for i in todo:
            predicate, captures, _, _ = wanted[i]
            ev = dict(event) if captures else event
            if predicate is None or predicate(ev):
                found[i].append((ev, text))
        todo = [i for i in todo if len(found[i]) < wanted[i][2]]
    for (_, _, _, sinks), matches in zip(wanted, found, strict=True):
        for ev, text in reversed(matches):
            for sink in sinks:
                sink.sample(ev, time, text)


def collect(into: dict[Tap, TapBatch], sinks: Iterable[TapSink]) -> None:
    """The sinks' batches into `into` (merged with what is there: one tap may be fed by the rules
    of several sources)."""
    for sink in sinks:
        batch = sink.batch()
        if batch is not None:
            merge_taps(into, {sink.tap: batch})
