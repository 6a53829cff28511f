"""spike against a brute-force reference (each slot summed from every kept event at each read),
and its edge cases by hand: no value before a full baseline, zero baselines, down, ewma."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from logsidecar.detect.measure import Labels
from logsidecar.detect.measures import make_measure
from logsidecar.detect.spike import SpikeMeasure
from logsidecar.rules.detectors import Spike
from tests.unit.detect.streams import drive, ops

Q = 10


class SpikeRef:
    def __init__(self, d: Spike, started: float) -> None:
        self.d = d
        self.res = d.window / Q
        self.slots = math.floor(d.baseline / d.window + 1e-9)
        self.n = Q * (self.slots + 1)
        self.started = started
        self.latest = started
        self.events: list[tuple[float, Labels, int]] = []
        self.overflow = 0

    def now(self, time: float) -> float:
        self.latest = max(self.latest, time)
        return self.latest

    def b(self, time: float) -> int:
        return math.floor(time / self.res)

    def live(self, now: float) -> set[Labels]:
        b = self.b(now)
        return {g for t, g, _ in self.events if b - self.n < self.b(t) <= b}

    def add(self, tap: int, time: float, group: Labels, count: int, values: Any) -> None:
        t = self.now(time)
        live = self.live(t)
        if group not in live and len(live) >= self.d.max_groups:
            self.overflow += count
            return
        self.events.append((t, group, count))

    @staticmethod
    def total(per_bucket: dict[int, int], first: int, last: int) -> int:
        return sum(per_bucket.get(b, 0) for b in range(first, last + 1))

    def read(self, now: float) -> dict[Labels, tuple[float | None, bool]]:
        now = self.now(now)
        b = self.b(now)
        full = now - self.started >= self.d.window * (self.slots + 1)
        out: dict[Labels, tuple[float | None, bool]] = {}
        for group in self.live(now):
            if not full:
                out[group] = (None, False)
                continue
            per_bucket: dict[int, int] = {}
            for t, g, c in self.events:
                if g == group:
                    per_bucket[self.b(t)] = per_bucket.get(self.b(t), 0) + c
            current = self.total(per_bucket, b - Q + 1, b)
            xs = [
                self.total(per_bucket, b - Q * (j + 1) + 1, b - Q * j)
                for j in range(1, self.slots + 1)
            ]
            mean = sum(xs) / self.slots
            sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / self.slots)
            method = self.d.method
            if method == "ratio":
                value = current / mean if mean else (math.inf if current > 0 else 1.0)
            else:
                centre, spread = mean, sd
                if method == "ewma":
                    alpha = 2 / (self.slots + 1)
                    m, v = float(xs[-1]), 0.0
                    for x in reversed(xs[:-1]):
                        d = x - m
                        m += alpha * d
                        v = (1 - alpha) * (v + alpha * d * d)
                    centre, spread = m, math.sqrt(v)
                if spread == 0:
                    value = (
                        0.0 if current == centre else (math.inf if current > centre else -math.inf)
                    )
                else:
                    value = (current - centre) / spread
            thr = self.d.threshold
            up = value >= thr and current >= self.d.min_current
            low = 1 / thr if method == "ratio" else -thr
            down = value <= low and mean >= self.d.min_current
            fires = {"up": up, "down": down, "both": up or down}[self.d.direction]
            out[group] = (value, fires)
        return out


@st.composite
def spike_case(draw: Any) -> tuple[Spike, float, list[Any]]:
    window = draw(st.sampled_from([1.0, 10.0, 60.0]))
    grouped = draw(st.booleans())
    spec: dict[str, Any] = {
        "name": "S",
        "type": "spike",
        "rule": "r",
        "window": window,
        "baseline": window * draw(st.sampled_from([1, 2, 2.5, 3, 5])),
        "method": draw(st.sampled_from(["ratio", "zscore", "ewma"])),
        "direction": draw(st.sampled_from(["up", "down", "both"])),
        "threshold": draw(st.sampled_from([0.5, 1, 1.5, 2, 4])),
        "min_current": draw(st.sampled_from([0, 2, 5])),
        "max_groups": draw(st.integers(1, 3)),
    }
    if grouped:
        spec["group_by"] = ["g"]
    d = Spike.model_validate(spec)
    steps = st.one_of(st.just(0.0), st.floats(0, window / 3), st.floats(0, window * 2))
    stream = draw(
        ops([("a",), ("b",), ("c",)] if grouped else [()], steps, min_size=30, max_size=90)
    )
    return d, draw(st.sampled_from([0.0, 1000.0, 1_700_000_000.25])), stream


@settings(max_examples=200, deadline=None)
@given(spike_case())
def test_spike_reads_as_the_reference(case: tuple[Spike, float, list[Any]]) -> None:
    d, started, stream = case
    drive(lambda: SpikeMeasure(d, started), SpikeRef(d, started), stream, started)


def spike(**spec: Any) -> Spike:
    return Spike.model_validate({"name": "S", "type": "spike", "rule": "r", **spec})


def test_no_value_and_never_fires_before_a_full_baseline() -> None:
    m = make_measure(spike(window=60, baseline=120, method="ratio", threshold=2), 0.0)
    m.add(0, 100.0, (), 1000, None)
    reading = m.read(179.9)[()]
    assert (reading.value, reading.fires) == (None, False)
    assert reading.condition == "baseline not full: watched 2m59.9s of 3m (current 0)"
    m.add(0, 180.0, (), 1000, None)
    reading = m.read(180.0)[()]  # current 126-180 s; baseline slots 66-126 s (1000), 6-66 s (0)
    assert (reading.value, reading.fires) == (1000 / 500, True)


def test_a_zero_baseline_fires_only_when_min_current_is_met() -> None:
    d = spike(window=10, baseline=30, method="ratio", threshold=3, min_current=5)
    m = make_measure(d, 0.0)
    m.add(0, 45.0, (), 4, None)
    reading = m.read(45.0)[()]
    assert (reading.value, reading.fires) == (math.inf, False)
    assert reading.condition == (
        "ratio inf >= 3 but current 4 < min_current 5 (current 4, baseline mean 0.0 over 3 windows)"
    )
    m.add(0, 46.0, (), 1, None)
    assert m.read(46.0)[()].fires is True


def test_direction_down_fires_on_a_drop_and_up_does_not() -> None:
    for direction, fires in (("down", True), ("up", False), ("both", True)):
        d = spike(window=10, baseline=30, method="zscore", threshold=3, direction=direction)
        m = make_measure(d, 0.0)
        for t in (5.0, 15.0, 25.0, 35.0):
            m.add(0, t, (), 10, None)
        reading = m.read(49.0)[()]  # current 0 (40-50 s), slots 10, 10, 10: sd 0
        assert (reading.value, reading.fires) == (-math.inf, fires)


def test_ewma_follows_the_slots_oldest_first() -> None:
    m = make_measure(spike(window=10, baseline=30, method="ewma", threshold=3), 0.0)
    for t, count in ((15.0, 2), (25.0, 4), (35.0, 6), (45.0, 10)):
        m.add(0, t, (), count, None)
    # alpha 0.5: m 2 -> 3 -> 4.5; v 0 -> 1 -> 2.75
    reading = m.read(49.5)[()]
    assert reading.value == (10 - 4.5) / math.sqrt(2.75)
    assert reading.fires is True
    assert reading.condition == "ewma 3.32 >= 3 (current 10, ewma 4.5 sd 1.7 over 3 windows)"


def test_a_group_goes_when_all_its_buckets_are_empty() -> None:
    m = make_measure(spike(window=10, baseline=20, group_by=["g"], threshold=2), 0.0)
    m.add(0, 5.0, ("x",), 1, None)
    assert set(m.read(34.9)) == {("x",)}  # buckets 0..34 (30 of 1 s)
    assert m.read(35.0) == {}


def test_baseline_statistics_are_computed_once_per_bucket() -> None:
    m = SpikeMeasure(spike(window=10, baseline=30, threshold=2), 0.0)
    m.add(0, 15.0, (), 3, None)
    first = m.read(45.0)
    cached = m.ring.tracks[()].cache
    m.add(0, 45.5, (), 7, None)  # same bucket: the current grows, the baseline stays
    assert m.read(45.9)[()].value != first[()].value
    assert m.ring.tracks[()].cache is cached
    m.read(46.0)
    assert m.ring.tracks[()].cache is not cached
