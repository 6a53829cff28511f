"""threshold, ratio and absence by hand: first windows, bucket edges, none values, max_groups,
late input, arming, restores and refused states."""

from __future__ import annotations

import json
from typing import Any

import pytest

from logsidecar.detect.measures import make_measure
from logsidecar.detect.windowed import ThresholdMeasure
from logsidecar.rules.detectors import Absence, Ratio, Threshold
from logsidecar.rules.model import Detector


def threshold(**spec: Any) -> Threshold:
    return Threshold.model_validate({"name": "T", "type": "threshold", "rule": "r", **spec})


def test_ungrouped_lt_fires_on_a_quiet_stream_only_after_the_first_window() -> None:
    m = make_measure(threshold(window=60, condition={"lt": 5}), 1000.0)
    assert m.read(1000.0) == {}
    assert m.read(1059.9) == {}
    reading = m.read(1060.0)[()]
    assert (reading.value, reading.fires, reading.condition) == (0.0, True, "count 0 < 5")


def test_ungrouped_gte_reads_its_matches_during_the_first_window() -> None:
    m = make_measure(threshold(window=300, condition={"gte": 3}), 0.0)
    m.add(0, 10.0, (), 3, None)
    reading = m.read(11.0)[()]
    assert (reading.value, reading.fires, reading.condition) == (3.0, True, "count 3 >= 3")


def test_grouped_group_goes_when_its_window_empties_and_the_window_edge_moves_by_buckets() -> None:
    m = make_measure(threshold(window=120, group_by=["u"], condition={"gte": 2}), 0.0)
    m.add(0, 3.0, ("x",), 2, None)  # bucket 1 (res 2 s), window of 60 buckets
    assert m.read(121.9)[("x",)].value == 2.0  # bucket 60: buckets 1..60
    assert m.read(122.0) == {}  # bucket 61: buckets 2..61


def test_avg_min_max_skip_text_that_is_no_number_and_say_none_without_values() -> None:
    for agg, expected in (("avg", 2.5), ("min", 1.0), ("max", 4.0), ("sum", 5.0)):
        m = make_measure(threshold(window=60, aggregate=agg, field="took", condition={"gt": 2}), 0)
        m.add(0, 1.0, (), 3, {"1": 1, "4": 1, "slow": 1, "nan": 1})
        assert m.read(2.0)[()].value == expected
        assert m.read(200.0)[()].value == (0.0 if agg == "sum" else None)
    m = make_measure(threshold(window=60, aggregate="avg", field="took", condition={"gt": 2}), 0)
    m.add(0, 61.0, (), 1, {"2.5": 1})
    assert m.read(62.0)[()].condition == "avg(took) 2.5 > 2"
    assert m.read(200.0)[()].condition == "avg(took) none (no values in 1m)"


def test_the_first_window_judges_only_what_its_rest_cannot_undo() -> None:
    """An average, or a count below a bound, can still change before the window is full."""
    cases = (
        (
            "avg",
            {"gt": 2},
            False,
            "avg(took) 3 (not judged: the first 1m since the start is not over)",
        ),
        (
            "count",
            {"lt": 5},
            False,
            "count 1 (not judged: the first 1m since the start is not over)",
        ),
        ("max", {"gt": 2}, True, "max(took) 3 > 2"),
        ("min", {"lt": 5}, True, "min(took) 3 < 5"),
    )
    for agg, condition, fires, text in cases:
        field = {} if agg == "count" else {"aggregate": agg, "field": "took"}
        m = make_measure(threshold(window=60, condition=condition, **field), 0)
        m.add(0, 1.0, (), 1, {"3": 1})
        reading = m.read(2.0)[()]
        assert (agg, reading.fires, reading.condition) == (agg, fires, text)
        assert m.read(60.5)[()].fires  # the first window is over: judged, and it holds


def test_max_groups_refuses_a_new_group_and_counts_its_matches() -> None:
    m = make_measure(threshold(window=60, group_by=["u"], max_groups=1, condition={"gt": 0}), 0)
    m.add(0, 1.0, ("x",), 2, None)
    m.add(0, 1.0, ("y",), 5, None)
    assert (set(m.read(2.0)), m.overflow) == ({("x",)}, 5)
    m.add(0, 100.0, ("y",), 1, None)  # x's window is empty by now: y takes its place
    assert (set(m.read(100.0)), m.overflow) == ({("y",)}, 5)


def test_a_late_input_counts_as_of_the_newest_time() -> None:
    m = make_measure(threshold(window=60, condition={"gt": 0}), 0.0)
    m.add(0, 500.0, (), 1, None)
    m.add(0, 10.0, (), 1, None)  # long gone from a window at 500: counted at 500
    assert m.read(100.0)[()].value == 2.0  # a read before 500 reads as of 500


def ratio(**spec: Any) -> Ratio:
    base = {"name": "R", "type": "ratio", "numerator": "bad", "denominator": "all", "window": 60}
    return Ratio.model_validate({**base, **spec})


def test_ratio_below_min_denominator_has_no_value_and_never_fires() -> None:
    m = make_measure(ratio(min_denominator=100, condition={"gt": 0.05}), 0.0)
    m.add(0, 1.0, (), 7, None)
    m.add(1, 1.0, (), 99, None)
    assert m.read(1.0)[()] == m.read(1.0)[()]
    reading = m.read(1.0)[()]
    assert (reading.value, reading.fires) == (None, False)
    m.add(1, 2.0, (), 1, None)
    reading = m.read(2.0)[()]
    assert (reading.value, reading.fires, reading.condition) == (
        0.07,
        True,
        "ratio 0.07 > 0.05 (7/100)",
    )


def test_ratio_without_denominator_matches_has_no_value_even_with_min_denominator_0() -> None:
    m = make_measure(ratio(condition={"gte": 0}), 0.0)
    m.add(0, 1.0, (), 3, None)
    reading = m.read(1.0)[()]
    assert (reading.value, reading.fires) == (None, False)


def absence(**spec: Any) -> Absence:
    return Absence.model_validate({"name": "A", "type": "absence", "rule": "hb", **spec})


def test_absence_armed_at_start_fires_after_a_quiet_window() -> None:
    m = make_measure(absence(window=180), 1000.0)
    assert m.read(1179.0)[()].fires is False
    reading = m.read(1180.0)[()]
    assert (reading.value, reading.fires, reading.condition) == (
        0.0,
        True,
        "no match of hb in 3m",
    )
    m.add(0, 1181.0, (), 1, None)
    assert m.read(1181.0)[()].fires is False


def test_absence_armed_at_first_match_waits_for_one() -> None:
    m = make_measure(absence(window=180, armed="first_match"), 1000.0)
    assert m.read(5000.0) == {}
    m.add(0, 5000.0, (), 1, None)
    assert m.read(5179.0)[()].fires is False
    assert m.read(5180.0)[()].fires is True


def test_absence_groups_stay_and_each_is_armed_by_its_first_match() -> None:
    m = make_measure(absence(window=60, group_by=["pod"], armed="start"), 0.0)
    assert m.read(1000.0) == {}
    m.add(0, 1000.0, ("p1",), 1, None)
    m.add(0, 1030.0, ("p2",), 1, None)
    fired = {g: r.fires for g, r in m.read(1061.0).items()}
    assert fired == {("p1",): True, ("p2",): False}
    assert m.read(1_000_000.0)[("p2",)].fires is True


def test_restored_measures_read_as_the_originals_also_after_more_input() -> None:
    detectors: list[Detector] = [
        threshold(window=90, group_by=["u"], aggregate="max", field="f", condition={"gt": 1}),
        ratio(window=90, group_by=["u"], condition={"gt": 0.2}),
        absence(window=90, group_by=["u"]),
    ]
    for d in detectors:
        m = make_measure(d, 0.0)
        for i in range(50):
            m.add(
                i % 2 if d.type == "ratio" else 0,
                i * 3.3,
                (f"u{i % 3}",),
                1 + i % 3,
                {str(i % 7): 1},
            )
        copy = make_measure(d, 0.0)
        copy.restore(json.loads(json.dumps(m.to_state())))
        for t in (165.0, 170.0, 200.0):
            assert copy.read(t) == m.read(t)
        assert any(r.value for r in m.read(200.0).values())
        for each in (m, copy):
            each.add(0, 201.0, ("u9",), 2, {"8": 2})
        for t in (201.0, 250.0, 400.0):
            assert copy.read(t) == m.read(t)
        assert copy.overflow == m.overflow


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.pop("latest"),
        lambda s: s.update(kind="ratio"),
        lambda s: s.update(overflow="1"),
        lambda s: s.update(groups=[[["u"], 0.0, [1.0, 0.0, 0.0], [[5, 1, 0, 0, 0, 0]]]] * 2),
        lambda s: s.update(groups=[[["u", "v"], 0.0, [1.0, 0.0, 0.0], []]]),
        lambda s: s.update(groups=[[["u"], 0.0, [1.0, 0.0], []]]),
        lambda s: s.update(
            groups=[[["u"], 0.0, [1.0, 0.0, 0.0], [[9, 1, 0, 0, 0, 0], [5, 1, 0, 0, 0, 0]]]]
        ),
        lambda s: s.update(groups=[[["u"], 0.0, [1.0, 0.0, 0.0], [[10**9, 1, 0, 0, 0, 0]]]]),
        lambda s: s.update(groups=[[["u"], 0.0, [1.0, 0.0, 0.0], [[5.5, 1, 0, 0, 0, 0]]]]),
    ],
)
def test_restore_refuses_a_state_it_could_not_have_written(change: Any) -> None:
    d = threshold(window=60, group_by=["u"], condition={"gt": 1})
    m = ThresholdMeasure(d, 0.0)
    m.add(0, 10.0, ("u",), 1, None)
    state = json.loads(json.dumps(m.to_state()))
    change(state)
    fresh = ThresholdMeasure(d, 0.0)
    with pytest.raises((KeyError, TypeError, ValueError)):
        fresh.restore(state)
    assert fresh.to_state() == ThresholdMeasure(d, 0.0).to_state()  # nothing half restored


def test_make_measure_refuses_the_template_types() -> None:
    from logsidecar.rules.detectors import NewTemplate

    d = NewTemplate.model_validate({"name": "N", "type": "new_template", "source": "app"})
    with pytest.raises(ValueError, match="not evaluated yet"):
        make_measure(d, 0.0)
