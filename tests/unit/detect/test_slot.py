"""Skipping instants is invisible: a bank with `interval` evaluated only at its inputs and at the
end says exactly what a bank evaluated every second says, for every detector type, whatever the
gaps between inputs (shorter and longer than the windows)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from logsidecar.detect.alerts import Transition
from logsidecar.detect.bank import Detectors
from logsidecar.rules.detectors import Absence, Comparison, Ratio, Threshold
from logsidecar.rules.model import Detector
from logsidecar.rules.taps import Tap, TapBatch
from tests.unit.detect.bankdata import START

ERR = Tap("err", ("g",))
ALL = Tap("all", ("g",))
ERR_UNGROUPED = Tap("err")
TOOK = Tap("err", ("g",), "took")

DETECTORS: list[Detector] = [
    Threshold(
        name="Burst",
        type="threshold",
        rule="err",
        window=10.0,
        group_by=["g"],
        condition=Comparison(gte=3),
        for_=3.0,
        keep_firing_for=5.0,
    ),
    Threshold(name="Quiet", type="threshold", rule="err", window=7.0, condition=Comparison(lt=1)),
    Threshold(
        name="Slow",
        type="threshold",
        rule="err",
        window=20.0,
        group_by=["g"],
        aggregate="max",
        field="took",
        condition=Comparison(gt=2),
        keep_firing_for=2.5,
    ),
    Ratio(
        name="Share",
        type="ratio",
        numerator="err",
        denominator="all",
        window=15.0,
        group_by=["g"],
        condition=Comparison(gt=0.5),
        for_=2.0,
    ),
    Absence(name="Gone", type="absence", rule="err", window=12.0, group_by=["g"]),
    Absence(name="Heartbeat", type="absence", rule="err", window=9.0, for_=4.0),
]

# (gap before it in seconds, group, errors, all lines, max took)
Input = tuple[float, str, int, int, int]
inputs = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 6).map(float), st.floats(0.1, 80.0), st.just(400.0)),
        st.sampled_from(["a", "b"]),
        st.integers(0, 4),
        st.integers(1, 4),
        st.integers(0, 4),
    ),
    max_size=12,
)


def batches(plan: list[Input]) -> list[tuple[float, dict[Tap, TapBatch]]]:
    out: list[tuple[float, dict[Tap, TapBatch]]] = []
    t = START + 0.5
    for gap, group, errors, lines, took in plan:
        t += gap
        key = (t, (group,))
        taps = {ALL: TapBatch({key: lines}, samples=[(t, (group,), "line")])}
        if errors:
            taps[ERR] = TapBatch({key: errors}, samples=[(t, (group,), f"err {group}")])
            taps[ERR_UNGROUPED] = TapBatch({(t, ()): errors})
            taps[TOOK] = TapBatch({key: errors}, {key: {str(took): errors}})
        out.append((t, taps))
    return out


@settings(max_examples=60, deadline=None)
@given(inputs)
def test_skipped_instants_change_nothing(plan: list[Input]) -> None:
    feeds = batches(plan)
    end = math.ceil(feeds[-1][0] if feeds else START) + 60.0
    every_second = Detectors(DETECTORS, START)
    expected: list[Transition] = []
    second = START + 1.0
    for t, taps in feeds:
        while second < t:
            expected += every_second.evaluate(second)
            second += 1.0
        expected += every_second.feed(taps)
    while second <= end:
        expected += every_second.evaluate(second)
        second += 1.0
    skipping = Detectors(DETECTORS, START, interval=1.0)
    got: list[Transition] = []
    for _, taps in feeds:
        got += skipping.feed(taps)
    got += skipping.evaluate(end)
    assert got == expected
    assert skipping.snapshot() == every_second.snapshot()
    assert skipping.evaluations <= every_second.evaluations
