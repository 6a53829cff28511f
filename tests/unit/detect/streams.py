"""Random event streams for the measure property tests, and the driver that feeds one stream to a
measure and to its brute-force reference (written in each test module, from the spec alone) and
compares every read. A "swap" step replaces the measure by one restored from its JSON state, so
every property test also checks that a restored measure reads as the original would."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from hypothesis import strategies as st

from logsidecar.detect.measure import Labels, Measure

Op = tuple[Any, ...]
NUMBERS = [f"{x / 2:g}" for x in range(-8, 9)]  # exact in binary: sums compare exactly
TEXTS = [*NUMBERS, "abc", "nan", "inf", "-inf", ""]


class Reference(Protocol):
    overflow: int

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None: ...

    def read(self, now: float) -> dict[Labels, tuple[float | None, bool]]: ...


def ops(
    groups: Sequence[Labels],
    steps: st.SearchStrategy[float],
    taps: int = 1,
    values: list[str] | None = None,
    max_size: int = 60,
    min_size: int = 0,
) -> st.SearchStrategy[list[Op]]:
    """Adds (clock step, lateness, tap, group, count, values), reads (clock step) and swaps."""
    value_maps: st.SearchStrategy[dict[str, int] | None] = (
        st.none()
        if values is None
        else st.dictionaries(st.sampled_from(values), st.integers(1, 3), max_size=4)
    )
    late = st.one_of(st.just(0.0), st.just(0.0), st.floats(0, 100))
    add = st.tuples(
        st.just("add"),
        steps,
        late,
        st.integers(0, taps - 1),
        st.sampled_from(groups),
        st.integers(1, 4),
        value_maps,
    )
    read = st.tuples(st.just("read"), steps)
    swap = st.tuples(st.just("swap"))
    return st.lists(st.one_of(add, add, read, read, swap), min_size=min_size, max_size=max_size)


def readings(measure: Measure, now: float) -> dict[Labels, tuple[float | None, bool]]:
    return {group: (r.value, r.fires) for group, r in measure.read(now).items()}


def drive(
    make: Callable[[], Measure],
    reference: Reference,
    stream: list[Op],
    started: float,
    check: Callable[[Measure], None] | None = None,
) -> Measure:
    """Feeds `stream` to a measure and its reference; every read must agree (groups, values,
    fires, overflow)."""
    measure = make()
    clock = started
    for op in stream:
        if op[0] == "add":
            _, step, late, tap, group, count, values = op
            clock += step
            measure.add(tap, clock - late, group, count, values)
            reference.add(tap, clock - late, group, count, values)
        elif op[0] == "read":
            clock += op[1]
            expected = reference.read(clock)
            assert readings(measure, clock) == expected
            assert measure.overflow == reference.overflow
        else:
            state = json.loads(json.dumps(measure.to_state(), allow_nan=False))
            restored = make()
            restored.restore(state)
            assert restored.to_state() == measure.to_state()
            measure = restored
        if check is not None:
            check(measure)
    clock += 1000.0
    assert readings(measure, clock) == reference.read(clock)
    assert measure.overflow == reference.overflow
    return measure
