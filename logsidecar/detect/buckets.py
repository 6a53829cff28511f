"""The time-bucket ring behind threshold, ratio, absence and spike windows.

Time is cut into buckets of `res` seconds aligned to the epoch (bucket `floor(t / res)`); a
window at `now` is the last `n` buckets, `b(now) - n + 1 .. b(now)`, so its left edge moves one
bucket at a time. Each group keeps only its non-empty buckets (sparse, oldest first) and running
totals of the additive channels (matches, value counts, sums): reading a group's window drops the
buckets that left it and reads the totals, O(1) amortised whatever the window. Per-bucket extras
that do not add up (min, max) are rescanned over the <= n buckets only when asked.

Counts are integers held in floats and stay exact; sums of float values may carry rounding from
the running add/subtract (the totals are reset to exactly 0 whenever a group's window empties,
and saved with the state so a restored ring reads exactly as the original).

Memory: per group one deque of at most `n` small lists; groups are bounded by `max_groups`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from logsidecar.detect.fit import (
    as_float,
    as_int,
    as_labels,
    as_list,
    as_mapping,
    check_kind,
    check_time,
)

Labels = tuple[str, ...]
Bucket = list[float]  # [index, channel 0, channel 1, ..., extras...]


def resolution(window: float) -> float:
    """Bucket width for a window (threshold, ratio, absence): at most 60 buckets, >= 1 s."""
    return max(1.0, window / 60)


def buckets_in(window: float, res: float) -> int:
    """How many buckets make a window (ceil, forgiving float noise such as 100 / (100 / 60))."""
    return max(1, math.ceil(window / res - 1e-9))


class Track:
    """One group's buckets and running totals. `since`: when the group was first matched (the
    arming time of absence). `cache`: what a measure derives per bucket index (spike)."""

    __slots__ = ("buckets", "cache", "since", "totals")

    def __init__(self, channels: int, since: float) -> None:
        self.buckets: deque[Bucket] = deque()
        self.totals: list[float] = [0.0] * channels
        self.since = since
        self.cache: Any = None


class Ring:
    """Sparse buckets per group, at most `max_groups` groups."""

    def __init__(
        self, res: float, n: int, channels: int, width: int, max_groups: int, keep: bool = False
    ) -> None:
        self.res = res
        self.n = n
        self.channels = channels  # additive channels, totalled
        self.width = width  # channels + extras
        self.max_groups = max_groups
        self.keep = keep  # groups stay when their window empties (absence)
        self.tracks: dict[Labels, Track] = {}
        self._purged: int | None = None  # the bucket index of the last purge at max_groups

    def index(self, time: float) -> int:
        return math.floor(time / self.res)

    def admit(self, group: Labels, b: int, time: float) -> Track | None:
        """The group's track, made when new; None when max_groups groups exist (refused)."""
        track = self.tracks.get(group)
        if track is not None:
            return track
        if len(self.tracks) >= self.max_groups:
            if self.keep or self._purged == b:
                return None
            self.purge(b)
            if len(self.tracks) >= self.max_groups:
                return None
        track = self.tracks[group] = Track(self.channels, time)
        return track

    def purge(self, b: int) -> None:
        """Drops the groups whose window at bucket `b` is empty."""
        self._purged = b
        for group in [g for g, t in self.tracks.items() if self.advance(t, b)]:
            del self.tracks[group]

    def advance(self, track: Track, b: int) -> bool:
        """Drops the buckets that left the window at bucket `b`; True when it is empty."""
        buckets = track.buckets
        edge = b - self.n  # buckets at or before this one are out
        if buckets and buckets[0][0] <= edge:
            totals = track.totals
            channels = range(self.channels)
            while buckets and buckets[0][0] <= edge:
                old = buckets.popleft()
                for i in channels:
                    totals[i] -= old[i + 1]
            if not buckets:
                track.totals = [0.0] * self.channels
        return not buckets

    def bucket(self, track: Track, b: int) -> Bucket:
        """Bucket `b` of the track (made when new; `b` is never older than its newest)."""
        buckets = track.buckets
        if buckets and buckets[-1][0] == b:
            return buckets[-1]
        self.advance(track, b)
        new: Bucket = [b] + [0.0] * self.width
        buckets.append(new)
        return new

    def put(self, track: Track, b: int, channel: int, amount: float) -> Bucket:
        bucket = self.bucket(track, b)
        bucket[channel + 1] += amount
        track.totals[channel] += amount
        return bucket

    def items(self) -> Iterator[tuple[Labels, Track]]:
        return iter(list(self.tracks.items()))

    def to_state(self) -> list[Any]:
        return [
            [list(group), t.since, list(t.totals), [list(b) for b in t.buckets]]
            for group, t in self.tracks.items()
        ]

    def restore(self, state: Any, width: int, latest: float) -> None:
        """`width`: how many labels a group has. Raises on anything `to_state` cannot write."""
        tracks: dict[Labels, Track] = {}
        newest = self.index(latest)
        for item in as_list(state):
            labels, since, totals, buckets = as_list(item, 4)
            group = as_labels(labels, width)
            if group in tracks:
                raise ValueError(f"group {group} twice")
            track = Track(self.channels, check_time(since, latest))
            track.totals = [as_float(x) for x in as_list(totals, self.channels)]
            previous = None
            for raw in as_list(buckets):
                row = as_list(raw, 1 + self.width)
                b = as_int(row[0])
                if (previous is not None and b <= previous) or b > newest:
                    raise ValueError(f"bucket {b} out of order")
                previous = b
                track.buckets.append([b] + [as_float(x) for x in row[1:]])
            if len(track.buckets) > self.n:
                raise ValueError(f"{len(track.buckets)} buckets in a window of {self.n}")
            tracks[group] = track
        if len(tracks) > self.max_groups:
            raise ValueError(f"{len(tracks)} groups, at most {self.max_groups}")
        self.tracks = tracks
        self._purged = None


def restore_clock(state: Mapping[str, Any]) -> tuple[float, float, int]:
    """(started, latest, overflow) of a measure's state."""
    started = as_float(state["started"])
    latest = as_float(state["latest"])
    if latest < started:
        raise ValueError("newest time before the start")
    overflow = as_int(state["overflow"])
    if overflow < 0:
        raise ValueError("negative overflow")
    return started, latest, overflow


def clock_state(started: float, latest: float, overflow: int) -> dict[str, Any]:
    return {"started": started, "latest": latest, "overflow": overflow}


class Clocked:
    """What every measure has: when it started, its own clock (the newest time it has seen: time
    never goes back for a measure), and how much it refused to stay bounded."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.latest = started
        self.overflow = 0

    def _at(self, time: float) -> float:
        """`time`, or the newest time seen if that is later (and the clock moves to it)."""
        if time > self.latest:
            self.latest = time
        return self.latest

    def _clock_state(self) -> dict[str, Any]:
        return clock_state(self.started, self.latest, self.overflow)


class RingMeasure(Clocked):
    """A measure whose state is its clock and a `Ring` of groups of `width` labels."""

    kind: ClassVar[str]
    ring: Ring
    width: int

    def to_state(self) -> dict[str, Any]:
        state = self._clock_state()
        state.update(kind=self.kind, groups=self.ring.to_state())
        return state

    def restore(self, state: Mapping[str, Any]) -> None:
        state = as_mapping(state)
        check_kind(state, self.kind)
        started, latest, overflow = restore_clock(state)
        self.ring.restore(state["groups"], self.width, latest)
        self.started, self.latest, self.overflow = started, latest, overflow
