"""Measures over one sliding window of buckets: threshold, ratio and absence.

Each keeps a `Ring` (see `buckets`): buckets of `max(1 s, window / 60)`, a window of
`ceil(window / res)` of them. Time never goes back: an input or a read older than the newest time
the measure has seen is taken as of that time.

- threshold: count of matches, or sum / avg / min / max of the numeric values of `field` (text
  that does not parse as a finite number is skipped) per group. avg/min/max with no value in the
  window: value None. An ungrouped detector always has its group `()` from `started + window` on
  (value 0 on a quiet stream, so `{lt: 5}` can fire), and before that while its window has
  matches, like a group. A grouped group lives from its first match until its window empties.
- ratio: numerator matches (tap 0) over denominator matches (tap 1); None while the denominator
  is below `max(min_denominator, 1)`. A group lives while either count is in its window.
- absence: fires when the window holds no match and a whole window has passed since the group was
  armed (ungrouped with `armed: start`: at `started`; else at its first match). Its groups stay:
  they are what fires (bounded by max_groups).

A match of a new group when max_groups groups live is refused: overflow += its count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from logsidecar.detect.buckets import (
    Ring,
    RingMeasure,
    Track,
    buckets_in,
    resolution,
)
from logsidecar.detect.compare import Condition, g, span
from logsidecar.detect.measure import Labels, Reading
from logsidecar.rules.detectors import Absence, Ratio, Threshold


class _Windowed(RingMeasure):
    """The clock, the ring and the state common to the three."""

    def __init__(
        self,
        window: float,
        started: float,
        width: int,
        max_groups: int,
        channels: int,
        extras: int = 0,
        keep: bool = False,
    ) -> None:
        super().__init__(started)
        self.window = window
        self.width = width  # labels per group
        res = resolution(window)
        n = buckets_in(window, res)
        self.ring = Ring(res, n, channels, channels + extras, max_groups, keep)

    def _admit(self, time: float, group: Labels, count: int) -> tuple[Track, int] | None:
        time = self._at(time)
        b = self.ring.index(time)
        track = self.ring.admit(group, b, time)
        if track is None:
            self.overflow += count
            return None
        return track, b


class ThresholdMeasure(_Windowed):
    """Channels: 0 matches, 1 numeric values, 2 their sum; extras: min, max (bucket[4], [5])."""

    kind = "threshold"

    def __init__(self, detector: Threshold, started: float) -> None:
        super().__init__(
            detector.window, started, len(detector.group_by), detector.max_groups, 3, 2
        )
        self.aggregate = detector.aggregate
        self.numeric = detector.aggregate != "count"
        self.what = "count" if not self.numeric else f"{detector.aggregate}({detector.field})"
        self.condition = Condition(detector.condition)
        op = self.condition.operator
        # In the first window after the start the window is not full yet: judge only what the
        # rest of it cannot undo (a count or max can only grow, a min only fall).
        self.early = (op in ("gt", "gte") and self.aggregate in ("count", "max")) or (
            op in ("lt", "lte") and self.aggregate == "min"
        )
        if not self.width:
            self.ring.tracks[()] = Track(3, started)

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        admitted = self._admit(time, group, count)
        if admitted is None:
            return
        track, b = admitted
        bucket = self.ring.put(track, b, 0, count)
        if not (values and self.numeric):
            return
        n = 0
        total = 0.0
        lo = math.inf
        hi = -math.inf
        for text, times in values.items():
            try:
                number = float(text)
            except ValueError:
                continue
            if not math.isfinite(number):
                continue
            n += times
            total += number * times
            lo = min(lo, number)
            hi = max(hi, number)
        if n:
            if bucket[2]:
                bucket[4] = min(bucket[4], lo)
                bucket[5] = max(bucket[5], hi)
            else:
                bucket[4], bucket[5] = lo, hi
            self.ring.put(track, b, 1, n)
            self.ring.put(track, b, 2, total)

    def read(self, now: float) -> dict[Labels, Reading]:
        now = self._at(now)
        b = self.ring.index(now)
        out: dict[Labels, Reading] = {}
        for group, track in self.ring.items():
            if self.ring.advance(track, b):
                if self.width:
                    del self.ring.tracks[group]
                    continue
                if now < self.started + self.window:
                    continue
            out[group] = self._reading(track, self.early or now >= self.started + self.window)
        return out

    def _value(self, track: Track) -> float | None:
        matches, n, total = track.totals
        if self.aggregate == "count":
            return matches
        if self.aggregate == "sum":
            return total
        if not n:
            return None
        if self.aggregate == "avg":
            return total / n
        if self.aggregate == "min":
            return min(bucket[4] for bucket in track.buckets if bucket[2])
        return max(bucket[5] for bucket in track.buckets if bucket[2])

    def _reading(self, track: Track, judged: bool) -> Reading:
        value = self._value(track)
        if value is None:
            return Reading(None, False, f"{self.what} none (no values in {span(self.window)})")
        if not judged:
            first = f"not judged: the first {span(self.window)} since the start is not over"
            return Reading(value, False, f"{self.what} {g(value)} ({first})")
        fires = self.condition.holds(value)
        return Reading(value, fires, self.condition.text(self.what, value, fires))


class RatioMeasure(_Windowed):
    """Channels: 0 numerator matches (tap 0), 1 denominator matches (tap 1)."""

    kind = "ratio"

    def __init__(self, detector: Ratio, started: float) -> None:
        super().__init__(detector.window, started, len(detector.group_by), detector.max_groups, 2)
        self.need = max(detector.min_denominator, 1.0)
        self.denominator = detector.denominator
        self.condition = Condition(detector.condition)

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        if tap not in (0, 1):
            raise ValueError(f"ratio has taps 0 and 1, not {tap}")
        admitted = self._admit(time, group, count)
        if admitted is not None:
            self.ring.put(admitted[0], admitted[1], tap, count)

    def read(self, now: float) -> dict[Labels, Reading]:
        b = self.ring.index(self._at(now))
        out: dict[Labels, Reading] = {}
        for group, track in self.ring.items():
            if self.ring.advance(track, b):
                del self.ring.tracks[group]
                continue
            numerator, denominator = track.totals
            counts = f"{g(numerator)}/{g(denominator)}"
            if denominator < self.need:
                text = f"ratio none ({counts}: fewer than {g(self.need)} {self.denominator})"
                out[group] = Reading(None, False, text)
                continue
            value = numerator / denominator
            fires = self.condition.holds(value)
            out[group] = Reading(value, fires, self.condition.text("ratio", value, fires, counts))
        return out


class AbsenceMeasure(_Windowed):
    """Channel 0: matches. A track's `since` is when the group was armed."""

    kind = "absence"

    def __init__(self, detector: Absence, started: float) -> None:
        width = len(detector.group_by)
        super().__init__(detector.window, started, width, detector.max_groups, 1, keep=True)
        self.rule = detector.rule
        if not width and detector.armed == "start":
            self.ring.tracks[()] = Track(1, started)

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        admitted = self._admit(time, group, count)
        if admitted is not None:
            self.ring.put(admitted[0], admitted[1], 0, count)

    def read(self, now: float) -> dict[Labels, Reading]:
        now = self._at(now)
        b = self.ring.index(now)
        window = span(self.window)
        out: dict[Labels, Reading] = {}
        for group, track in self.ring.items():
            self.ring.advance(track, b)
            value = track.totals[0]
            if value:
                text = f"{g(value)} match{'es' if value != 1 else ''} of {self.rule} in {window}"
                out[group] = Reading(value, False, text)
            elif now - track.since >= self.window:
                out[group] = Reading(value, True, f"no match of {self.rule} in {window}")
            else:
                ago = span(now - track.since)
                text = f"no match of {self.rule} yet, armed {ago} ago (window {window})"
                out[group] = Reading(value, False, text)
        return out
