"""new_value and cardinality against brute-force references (plain lists, every sighting kept),
and their edge cases by hand: learning, LRU eviction, max_tracked, the condition texts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from logsidecar.detect.distinct import CardinalityMeasure, NewValueMeasure
from logsidecar.detect.measure import Labels
from logsidecar.detect.measures import make_measure
from logsidecar.rules.detectors import Cardinality, NewValue
from logsidecar.rules.model import Detector
from tests.unit.detect.streams import drive, ops

LONG = "x" * 300
VALUES = ["KeyError", "OSError", "ValueError", "a", "b", "", LONG, LONG + "y", "é" * 257]
TESTS = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}


class NewValueRef:
    def __init__(self, d: NewValue, started: float) -> None:
        self.d = d
        self.latest = started
        self.learn_until = started + d.learn_for
        self.known: list[str] = []  # least recently seen first
        self.new: list[tuple[float, str]] = []
        self.overflow = 0

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        if not values:
            return
        self.latest = t = max(self.latest, time)
        for text in values:
            v = text[:256]
            if v in self.known:
                self.known.remove(v)
                self.known.append(v)
                continue
            self.known.append(v)
            if t >= self.learn_until:
                self.new.append((t, v))
            if len(self.known) > self.d.max_tracked:
                del self.known[0]
                self.overflow += 1

    def read(self, now: float) -> dict[Labels, tuple[float | None, bool]]:
        self.latest = now = max(self.latest, now)
        kept = self.new[-self.d.max_tracked :]
        n = len([t for t, _ in kept if t > now - self.d.window])
        return {(): (float(n), n >= 1)}


class CardinalityRef:
    def __init__(self, d: Cardinality, started: float) -> None:
        self.d = d
        self.latest = started
        self.seen: list[tuple[float, Labels, str]] = []
        self.overflow = 0

    def values(self, group: Labels, now: float) -> set[str]:
        return {v for t, g, v in self.seen if g == group and t > now - self.d.window}

    def live(self, now: float) -> set[Labels]:
        return {g for t, g, _ in self.seen if t > now - self.d.window}

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        if not values:
            return
        self.latest = t = max(self.latest, time)
        live = self.live(t)
        if group not in live and len(live) >= self.d.max_groups:
            self.overflow += count
            return
        present = self.values(group, t)
        for text in values:
            v = text[:256]
            if v not in present and len(present) >= self.d.max_tracked:
                self.overflow += 1
                continue
            present.add(v)
            self.seen.append((t, group, v))

    def read(self, now: float) -> dict[Labels, tuple[float | None, bool]]:
        self.latest = now = max(self.latest, now)
        c = self.d.condition
        out: dict[Labels, tuple[float | None, bool]] = {}
        for group in self.live(now):
            n = float(len(self.values(group, now)))
            out[group] = (n, TESTS[c.operator](n, c.number))
        return out


STARTS = st.sampled_from([0.0, 1000.0, 1_700_000_000.25])


@st.composite
def new_value_case(draw: Any) -> tuple[NewValue, float, list[Any]]:
    window = draw(st.sampled_from([5.0, 30.0, 60.0]))
    spec = {
        "name": "N",
        "type": "new_value",
        "rule": "r",
        "field": "exc",
        "window": window,
        "learn_for": draw(st.sampled_from([0, 10, 60])),
        "max_tracked": draw(st.integers(1, 6)),
    }
    d = NewValue.model_validate(spec)
    steps = st.one_of(st.just(0.0), st.floats(0, window / 3), st.floats(0, window * 1.5))
    return d, draw(STARTS), draw(ops([()], steps, values=VALUES))


@settings(max_examples=200, deadline=None)
@given(new_value_case())
def test_new_value_reads_as_the_reference(case: tuple[NewValue, float, list[Any]]) -> None:
    d, started, stream = case
    drive(lambda: NewValueMeasure(d, started), NewValueRef(d, started), stream, started)


@st.composite
def cardinality_case(draw: Any) -> tuple[Cardinality, float, list[Any]]:
    window = draw(st.sampled_from([5.0, 30.0, 60.0]))
    grouped = draw(st.booleans())
    spec: dict[str, Any] = {
        "name": "C",
        "type": "cardinality",
        "rule": "r",
        "field": "user",
        "window": window,
        "condition": {draw(st.sampled_from(list(TESTS))): draw(st.sampled_from([0, 1, 2, 3]))},
        "max_tracked": draw(st.integers(1, 5)),
        "max_groups": draw(st.integers(1, 3)),
    }
    if grouped:
        spec["group_by"] = ["ip"]
    d = Cardinality.model_validate(spec)
    steps = st.one_of(st.just(0.0), st.floats(0, window / 3), st.floats(0, window * 1.5))
    groups = [("a",), ("b",), ("c",)] if grouped else [()]
    return d, draw(STARTS), draw(ops(groups, steps, values=VALUES))


@settings(max_examples=200, deadline=None)
@given(cardinality_case())
def test_cardinality_reads_as_the_reference(case: tuple[Cardinality, float, list[Any]]) -> None:
    d, started, stream = case
    drive(lambda: CardinalityMeasure(d, started), CardinalityRef(d, started), stream, started)


# --- by hand


def new_value(**spec: Any) -> NewValue:
    base = {"name": "N", "type": "new_value", "rule": "exception", "field": "exc_class"}
    return NewValue.model_validate({**base, **spec})


def test_values_seen_while_learning_are_never_new() -> None:
    m = make_measure(new_value(learn_for=1800, window=300), 0.0)
    m.add(0, 10.0, (), 2, {"KeyError": 2})
    assert m.read(1799.0)[()].condition == "no new value of exc_class in 5m (learning for 1s more)"
    m.add(0, 1800.0, (), 3, {"KeyError": 1, "OSError": 1, "ValueError": 1})
    reading = m.read(1800.0)[()]
    assert (reading.value, reading.fires) == (2.0, True)
    assert reading.condition == "2 new values of exc_class in 5m: OSError, ValueError"
    assert m.read(2099.9)[()].fires is True
    reading = m.read(2100.0)[()]
    assert (reading.value, reading.fires) == (0.0, False)


def test_the_least_recently_seen_value_is_evicted_and_is_new_again() -> None:
    m = make_measure(new_value(max_tracked=2, window=10), 0.0)
    m.add(0, 1.0, (), 2, {"a": 1, "b": 1})
    m.add(0, 2.0, (), 1, {"a": 1})  # b is now the least recently seen
    m.add(0, 3.0, (), 1, {"c": 1})  # evicts b
    assert m.overflow == 1
    m.add(0, 20.0, (), 2, {"a": 1, "b": 1})  # a remembered; b new again (evicts c)
    reading = m.read(20.0)[()]
    assert (reading.value, reading.condition, m.overflow) == (
        1.0,
        "1 new value of exc_class in 10s: b",
        2,
    )


def test_values_are_cut_to_256_characters_and_at_most_5_are_named() -> None:
    m = make_measure(new_value(window=60), 0.0)
    m.add(0, 1.0, (), 2, {"x" * 300: 1, "x" * 256 + "y": 1})
    assert m.read(1.0)[()].condition == f"1 new value of exc_class in 1m: {'x' * 256}"
    m.add(0, 2.0, (), 6, {str(i): 1 for i in range(6)})
    assert m.read(2.0)[()].condition == (
        f"7 new values of exc_class in 1m: {'x' * 256}, 0, 1, 2, 3, ... (2 more)"
    )


def cardinality(**spec: Any) -> Cardinality:
    base = {"name": "C", "type": "cardinality", "rule": "login_failed", "field": "user"}
    return Cardinality.model_validate({**base, **spec})


def test_cardinality_counts_distinct_values_last_seen_in_the_window() -> None:
    m = make_measure(cardinality(window=600, group_by=["ip"], condition={"gt": 2}), 0.0)
    m.add(0, 0.0, ("1.2.3.4",), 3, {"al": 2, "bo": 1})
    m.add(0, 300.0, ("1.2.3.4",), 2, {"cy": 1, "al": 1})
    reading = m.read(300.0)[("1.2.3.4",)]
    assert (reading.value, reading.fires, reading.condition) == (3.0, True, "distinct user 3 > 2")
    assert m.read(600.0)[("1.2.3.4",)].value == 2.0  # bo last seen at 0
    assert m.read(900.0) == {}


def test_cardinality_refuses_values_beyond_max_tracked_and_groups_beyond_max_groups() -> None:
    m = make_measure(
        cardinality(window=60, group_by=["ip"], max_tracked=2, max_groups=1, condition={"gte": 2}),
        0,
    )
    m.add(0, 1.0, ("a",), 4, {"u1": 1, "u2": 1, "u3": 1, "u4": 1})
    m.add(0, 2.0, ("a",), 2, {"u1": 1, "u5": 1})  # u1 known: kept fresh; u5 refused
    m.add(0, 2.0, ("b",), 7, {"u1": 7})  # a new group beyond max_groups: its 7 matches refused
    assert ({g: r.value for g, r in m.read(3.0).items()}, m.overflow) == ({("a",): 2.0}, 3 + 7)
    assert m.read(61.0) == {("a",): m.read(61.0)[("a",)]}
    assert m.read(61.0)[("a",)].value == 1.0  # u2 last seen at 1: gone; u1 at 2 stays


def test_restored_distinct_measures_read_as_the_originals_also_after_more_input() -> None:
    detectors: list[Detector] = [
        new_value(window=30, max_tracked=5),
        cardinality(window=30, group_by=["ip"], max_tracked=2, condition={"gt": 1}),
    ]
    for d in detectors:
        m = make_measure(d, 0.0)
        grouped = d.type == "cardinality"
        for i in range(40):
            m.add(0, i * 1.7, (f"h{i % 3}",) if grouped else (), 1, {f"v{i % 9}": 1})
        copy = make_measure(d, 0.0)
        copy.restore(json.loads(json.dumps(m.to_state())))
        assert copy.read(70.0) == m.read(70.0)
        assert any(r.value for r in m.read(70.0).values())
        for each in (m, copy):
            each.add(0, 71.0, ("h9",) if grouped else (), 1, {"fresh": 1})
        for t in (71.0, 90.0, 200.0):
            assert copy.read(t) == m.read(t)
        assert copy.overflow == m.overflow > 0
