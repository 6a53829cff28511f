"""One small-windowed detector of every evaluated type over taps of rules `err` and `all`, and
random input plans for them (Hypothesis): what the bank's property tests run."""

from __future__ import annotations

from hypothesis import strategies as st

from logsidecar.rules.detectors import (
    Absence,
    Cardinality,
    Comparison,
    NewValue,
    Ratio,
    Spike,
    Threshold,
)
from logsidecar.rules.model import Detector
from logsidecar.rules.taps import Tap, TapBatch
from tests.unit.detect.bankdata import START

ERR = Tap("err", ("g",))
ALL = Tap("all", ("g",))
ERR_UNGROUPED = Tap("err")
TOOK = Tap("err", ("g",), "took")
TOOK_UNGROUPED = Tap("err", (), "took")

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
    Spike(
        name="Jump",
        type="spike",
        rule="err",
        window=5.0,
        baseline=20.0,
        threshold=2.0,
        method="zscore",
        group_by=["g"],
        keep_firing_for=3.0,
    ),
    Spike(
        name="Drop",
        type="spike",
        rule="err",
        window=4.0,
        baseline=16.0,
        threshold=2.0,
        method="ratio",
        direction="both",
        min_current=1.0,
    ),
    Spike(
        name="Trend",
        type="spike",
        rule="err",
        window=6.0,
        baseline=30.0,
        threshold=1.5,
        method="ewma",
        direction="down",
    ),
    NewValue(
        name="Novel",
        type="new_value",
        rule="err",
        field="took",
        learn_for=15.0,
        window=10.0,
        for_=1.5,
    ),
    Cardinality(
        name="Many",
        type="cardinality",
        rule="err",
        field="took",
        group_by=["g"],
        window=10.0,
        condition=Comparison(gt=1),
        keep_firing_for=2.0,
    ),
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
            taps[TOOK_UNGROUPED] = TapBatch({(t, ()): errors}, {(t, ()): {str(took): errors}})
        out.append((t, taps))
    return out
