"""threshold, ratio and absence against a brute-force reference (every event kept, each window
recomputed from scratch with the spec's bucket definition). Cases by hand:
test_windowed_cases.py."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from logsidecar.detect.measure import Labels
from logsidecar.detect.windowed import AbsenceMeasure, RatioMeasure, ThresholdMeasure
from logsidecar.rules.detectors import Absence, Ratio, Threshold
from tests.unit.detect.streams import TEXTS, drive, ops

WINDOWS = [5.0, 30.0, 60.0, 90.0, 100.0, 300.0]
OPERATORS = ["gt", "gte", "lt", "lte", "eq", "ne"]
TESTS = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}


class Events:
    """Every accepted event; the window recomputed at each read."""

    def __init__(self, window: float, started: float, max_groups: int, keep: bool) -> None:
        self.res = max(1.0, window / 60)
        self.n = math.ceil(window / self.res - 1e-9)
        self.window = window
        self.started = started
        self.latest = started
        self.max_groups = max_groups
        self.keep = keep  # absence: groups never go
        self.events: list[tuple[float, Labels, int, int, Mapping[str, int] | None]] = []
        self.first: dict[Labels, float] = {}
        self.overflow = 0

    def now(self, time: float) -> float:
        self.latest = max(self.latest, time)
        return self.latest

    def within(self, time: float, now: float) -> bool:
        b = math.floor(now / self.res)
        return b - self.n < math.floor(time / self.res) <= b

    def live(self, now: float) -> set[Labels]:
        if self.keep:
            return set(self.first)
        return {e[1] for e in self.events if self.within(e[0], now)}

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        t = self.now(time)
        live = self.live(t)
        if group not in live and len(live) >= self.max_groups:
            self.overflow += count
            return
        self.events.append((t, group, tap, count, values))
        self.first.setdefault(group, t)

    def window_of(
        self, group: Labels, now: float
    ) -> list[tuple[int, int, Mapping[str, int] | None]]:
        return [(e[2], e[3], e[4]) for e in self.events if e[1] == group and self.within(e[0], now)]


class ThresholdRef(Events):
    def __init__(self, d: Threshold, started: float) -> None:
        super().__init__(d.window, started, d.max_groups, keep=False)
        self.d = d

    def read(self, now: float) -> dict[Labels, tuple[float | None, bool]]:
        now = self.now(now)
        groups = self.live(now)
        if not self.d.group_by and now >= self.started + self.window:
            groups.add(())
        out: dict[Labels, tuple[float | None, bool]] = {}
        for group in groups:
            events = self.window_of(group, now)
            numbers: list[float] = []
            for _, _, values in events:
                for text, times in (values or {}).items():
                    try:
                        x = float(text)
                    except ValueError:
                        continue
                    if math.isfinite(x):
                        numbers += [x] * times
            value: float | None
            agg = self.d.aggregate
            if agg == "count":
                value = float(sum(e[1] for e in events))
            elif agg == "sum":
                value = float(sum(numbers))
            elif not numbers:
                value = None
            else:
                value = {
                    "avg": sum(numbers) / len(numbers),
                    "min": min(numbers),
                    "max": max(numbers),
                }[agg]
            c = self.d.condition
            # the first window is judged only where its rest cannot undo the outcome
            early = (c.operator in ("gt", "gte") and agg in ("count", "max")) or (
                c.operator in ("lt", "lte") and agg == "min"
            )
            judged = early or now >= self.started + self.window
            out[group] = (
                value,
                judged and value is not None and TESTS[c.operator](value, c.number),
            )
        return out


class RatioRef(Events):
    def __init__(self, d: Ratio, started: float) -> None:
        super().__init__(d.window, started, d.max_groups, keep=False)
        self.d = d

    def read(self, now: float) -> dict[Labels, tuple[float | None, bool]]:
        now = self.now(now)
        out: dict[Labels, tuple[float | None, bool]] = {}
        for group in self.live(now):
            events = self.window_of(group, now)
            num = sum(e[1] for e in events if e[0] == 0)
            den = sum(e[1] for e in events if e[0] == 1)
            if den < max(self.d.min_denominator, 1):
                out[group] = (None, False)
            else:
                c = self.d.condition
                out[group] = (num / den, TESTS[c.operator](num / den, c.number))
        return out


class AbsenceRef(Events):
    def __init__(self, d: Absence, started: float) -> None:
        super().__init__(d.window, started, d.max_groups, keep=True)
        if not d.group_by and d.armed == "start":
            self.first[()] = started

    def read(self, now: float) -> dict[Labels, tuple[float | None, bool]]:
        now = self.now(now)
        out: dict[Labels, tuple[float | None, bool]] = {}
        for group, armed in self.first.items():
            value = float(sum(e[1] for e in self.window_of(group, now)))
            out[group] = (value, value == 0 and now - armed >= self.window)
        return out


def steps(window: float) -> st.SearchStrategy[float]:
    return st.one_of(st.just(0.0), st.floats(0, window / 4), st.floats(0, window * 1.5))


GROUPED = [("a",), ("b",), ("c",)]
STARTS = st.sampled_from([0.0, 1000.0, 1_700_000_000.25])


@st.composite
def threshold_case(draw: Any) -> tuple[Threshold, float, list[Any]]:
    window = draw(st.sampled_from(WINDOWS))
    grouped = draw(st.booleans())
    agg = draw(st.sampled_from(["count", "sum", "avg", "min", "max"]))
    spec: dict[str, Any] = {
        "name": "T",
        "type": "threshold",
        "rule": "r",
        "window": window,
        "aggregate": agg,
        "condition": {draw(st.sampled_from(OPERATORS)): draw(st.sampled_from([0, 1, 2.5, 4]))},
        "max_groups": draw(st.integers(1, 3)),
    }
    if agg != "count":
        spec["field"] = "took"
    if grouped:
        spec["group_by"] = ["g"]
    d = Threshold.model_validate(spec)
    groups = GROUPED if grouped else [()]
    stream = draw(ops(groups, steps(window), values=TEXTS if agg != "count" else None))
    return d, draw(STARTS), stream


@settings(max_examples=200, deadline=None)
@given(threshold_case())
def test_threshold_reads_as_the_reference(case: tuple[Threshold, float, list[Any]]) -> None:
    d, started, stream = case
    drive(lambda: ThresholdMeasure(d, started), ThresholdRef(d, started), stream, started)


@st.composite
def ratio_case(draw: Any) -> tuple[Ratio, float, list[Any]]:
    window = draw(st.sampled_from(WINDOWS))
    grouped = draw(st.booleans())
    spec: dict[str, Any] = {
        "name": "R",
        "type": "ratio",
        "numerator": "n",
        "denominator": "d",
        "window": window,
        "min_denominator": draw(st.sampled_from([0, 1, 3, 6])),
        "condition": {draw(st.sampled_from(OPERATORS)): draw(st.sampled_from([0, 0.5, 1]))},
        "max_groups": draw(st.integers(1, 3)),
    }
    if grouped:
        spec["group_by"] = ["g"]
    d = Ratio.model_validate(spec)
    stream = draw(ops(GROUPED if grouped else [()], steps(window), taps=2))
    return d, draw(STARTS), stream


@settings(max_examples=200, deadline=None)
@given(ratio_case())
def test_ratio_reads_as_the_reference(case: tuple[Ratio, float, list[Any]]) -> None:
    d, started, stream = case
    drive(lambda: RatioMeasure(d, started), RatioRef(d, started), stream, started)


@st.composite
def absence_case(draw: Any) -> tuple[Absence, float, list[Any]]:
    window = draw(st.sampled_from(WINDOWS))
    grouped = draw(st.booleans())
    spec: dict[str, Any] = {
        "name": "A",
        "type": "absence",
        "rule": "r",
        "window": window,
        "armed": draw(st.sampled_from(["start", "first_match"])),
        "max_groups": draw(st.integers(1, 3)),
    }
    if grouped:
        spec["group_by"] = ["g"]
    d = Absence.model_validate(spec)
    stream = draw(ops(GROUPED if grouped else [()], steps(window)))
    return d, draw(STARTS), stream


@settings(max_examples=200, deadline=None)
@given(absence_case())
def test_absence_reads_as_the_reference(case: tuple[Absence, float, list[Any]]) -> None:
    d, started, stream = case
    drive(lambda: AbsenceMeasure(d, started), AbsenceRef(d, started), stream, started)
