"""The detector bank on real measures: tap batches in, transitions and snapshots out, evaluated
at the instants a running sidecar would evaluate."""

from __future__ import annotations

from logsidecar.detect.alerts import Active, Transition
from logsidecar.detect.bank import Detectors
from logsidecar.rules.detectors import Comparison, NewTemplate, Threshold
from logsidecar.rules.taps import Tap
from tests.unit.detect.bankdata import (
    BURST,
    HTTP_5XX,
    HTTP_ALL,
    QUIET,
    SHARE,
    START,
    batch,
    burst_lines,
    feed_all,
    merged,
    steps,
)

BILLING = (("upstream", "billing"),)
BILLING_PAGE = (("upstream", "billing"), ("severity", "page"))


def test_the_rules_md_example_pending_then_firing() -> None:
    bank = Detectors([BURST], START, interval=1.0)
    feeds = burst_lines()
    seen: dict[float, list[dict[str, str]]] = {}
    pending: dict[float, list[str]] = {}
    for at in (90.0, 150.0, 180.0):
        feed_all(bank, [(t, taps) for t, taps in feeds if t <= START + at])
        bank.evaluate(START + at)
        snap = bank.snapshot()
        seen[at] = snap.firing("Http5xxBurst")
        pending[at] = [a.state for a in snap.active]
        feeds = [(t, taps) for t, taps in feeds if t > START + at]
    assert seen == {90.0: [], 150.0: [], 180.0: [{"upstream": "billing", "severity": "page"}]}
    assert pending == {90.0: [], 150.0: ["pending"], 180.0: ["firing"]}


def test_transitions_in_order_with_everything_they_say() -> None:
    bank = Detectors([BURST], START, interval=1.0)
    changes = feed_all(bank, burst_lines()) + bank.evaluate(START + 700)
    summary = "{} 5xx via billing in 5m"
    assert changes == [
        Transition(
            time=START + 108,  # 1 + 49 lines in the window at 1m48s
            detector="Http5xxBurst",
            type="threshold",
            previous="inactive",
            state="pending",
            group=BILLING,
            labels=BILLING_PAGE,
            value=50.0,
            condition="count 50 >= 50",
            annotations=(("summary", summary.format(50)),),
            lines=tuple(f"500 #{i} upstream=billing" for i in (46, 47, 48)),
        ),
        Transition(
            time=START + 168,  # pending for exactly `for`
            detector="Http5xxBurst",
            type="threshold",
            previous="pending",
            state="firing",
            group=BILLING,
            labels=BILLING_PAGE,
            value=61.0,
            condition="count 61 >= 50",
            annotations=(("summary", summary.format(61)),),
            lines=tuple(f"500 #{i} upstream=billing" for i in (57, 58, 59)),
        ),
        Transition(
            # below 50 from 370 (the 10s line and 60..69 left the 5m window), held 5m
            time=START + 670,
            detector="Http5xxBurst",
            type="threshold",
            previous="firing",
            state="resolved",
            group=BILLING,
            labels=BILLING_PAGE,
            value=None,  # its window emptied at 420: no longer read
            condition="no longer measured: nothing in the window",
            annotations=(("summary", summary.format("none")),),
            lines=tuple(f"500 #{i} upstream=billing" for i in (57, 58, 59)),
        ),
    ]


def test_held_alert_keeps_being_evaluated_after_its_group_left_the_measure() -> None:
    bank = Detectors([BURST], START, interval=1.0)
    feed_all(bank, burst_lines())
    bank.evaluate(START + 500)
    assert bank.snapshot().values == ()  # the group's window is empty
    assert [(a.state, a.value, a.since) for a in bank.snapshot().active] == [
        ("firing", None, START + 168)
    ]


def test_catch_up_gives_what_every_second_evaluation_gives() -> None:
    every_second = Detectors([BURST, SHARE, QUIET], START)  # like `run`: no interval
    feeds = burst_lines()
    reference: list[Transition] = []
    for s in range(1, 901):
        now = START + s
        reference += feed_all(every_second, [(t, taps) for t, taps in feeds if t == now])
        reference += every_second.evaluate(now)
    at_the_end = Detectors([BURST, SHARE, QUIET], START, interval=1.0)
    caught_up = at_the_end.evaluate(START + 30)
    caught_up += feed_all(at_the_end, feeds) + at_the_end.evaluate(START + 900)
    assert steps(caught_up) == steps(reference)
    assert caught_up == reference
    assert at_the_end.snapshot() == every_second.snapshot()
    assert steps(reference) == [
        (108.0, "Http5xxBurst", "inactive", "pending"),
        (168.0, "Http5xxBurst", "pending", "firing"),
        (180.0, "HeartbeatMissing", "inactive", "firing"),
        (670.0, "Http5xxBurst", "firing", "resolved"),
    ]


def test_one_batch_with_many_times_is_evaluated_at_each_in_order() -> None:
    lines = burst_lines()
    one = merged(*(taps for _, taps in lines))
    bank = Detectors([BURST], START)  # no interval: only the batch's own times (10s..1m59s)
    assert steps(bank.feed(one)) == [(108.0, "Http5xxBurst", "inactive", "pending")]
    assert steps(bank.evaluate(START + 168)) == [(168.0, "Http5xxBurst", "pending", "firing")]


def test_a_day_long_gap_costs_a_few_evaluations() -> None:
    bank = Detectors([BURST], START, interval=1.0)
    feed_all(bank, burst_lines())
    bank.evaluate(START + 200)
    done = bank.evaluations
    changes = bank.evaluate(START + 86_400)
    # after the last line (119) the window empties by 450 and only the hold's end (670) matters
    assert steps(changes) == [(670.0, "Http5xxBurst", "firing", "resolved")]
    assert bank.evaluations - done < 400
    # the next line after the gap is counted and evaluated as usual
    t = START + 86_400 + 5
    bank.feed(batch(HTTP_5XX, t, ("billing",), ["500"] * 50))
    assert [a.state for a in bank.snapshot().active] == ["pending"]


def test_a_firing_alert_that_cannot_change_costs_nothing_over_a_day() -> None:
    bank = Detectors([QUIET], START, interval=1.0)
    changes = bank.evaluate(START + 86_400)
    assert steps(changes) == [(180.0, "HeartbeatMissing", "inactive", "firing")]
    assert bank.evaluations < 400
    assert bank.snapshot().active == (
        Active(
            detector="HeartbeatMissing",
            state="firing",
            group=(),
            labels=(),
            value=0.0,
            since=START + 180,
            condition="no match of heartbeat in 3m",
        ),
    )


def test_absence_fires_with_no_input_at_all_after_the_window() -> None:
    bank = Detectors([QUIET], START)
    assert bank.evaluate(START + 179) == []
    assert steps(bank.evaluate(START + 180)) == [(180.0, "HeartbeatMissing", "inactive", "firing")]
    assert bank.snapshot().totals == {"HeartbeatMissing": 1}


def test_a_heartbeat_resolves_absence() -> None:
    beat = Tap("heartbeat")
    bank = Detectors([QUIET], START)
    bank.evaluate(START + 200)
    assert steps(bank.feed(batch(beat, START + 201, ()))) == [
        (201.0, "HeartbeatMissing", "firing", "resolved")
    ]


def test_ratio_shows_the_numerators_lines() -> None:
    bank = Detectors([SHARE], START)
    t = START + 5
    taps = merged(
        batch(HTTP_ALL, t, ("billing",), [f"ok {i}" for i in range(20)]),
        batch(HTTP_5XX, t, ("billing",), ["500 a", "500 b"]),
    )
    (change,) = bank.feed(taps)
    assert (change.state, change.value, change.lines) == ("firing", 0.1, ("500 a", "500 b"))
    assert change.condition == "ratio 0.1 > 0.05 (2/20)"


def test_lines_are_routed_by_group_and_only_the_last_three_kept() -> None:
    quick = BURST.model_copy(update={"for_": 0.0, "condition": Comparison(gte=3)})
    bank = Detectors([quick], START)
    t = START + 1
    taps = batch(HTTP_5XX, t, ("billing",), ["b1", "b2"])
    other = batch(HTTP_5XX, t, ("search",), ["s1"])
    taps[HTTP_5XX].counts.update(other[HTTP_5XX].counts)
    taps[HTTP_5XX].samples = [
        (t, ("billing",), "b1"),
        (t, ("search",), "s1"),
        (t, ("billing",), "b2"),
    ]
    assert bank.feed(taps) == []
    later = batch(HTTP_5XX, t + 1, ("billing",), ["b3", "b4"])
    (change,) = bank.feed(later)
    assert change.lines == ("b2", "b3", "b4")


def test_snapshot_totals_overflow_and_values() -> None:
    small = BURST.model_copy(
        update={
            "max_groups": 2,
            "for_": 0.0,
            "keep_firing_for": 0.0,
            "condition": Comparison(gte=3),
        }
    )
    bank = Detectors([small, QUIET], START)
    t = START + 1
    for group, n in (("a", 3), ("b", 1), ("c", 7)):
        bank.feed(batch(HTTP_5XX, t, (group,), ["x"] * n))
    bank.evaluate(t + 400)  # a's window empties: resolved
    bank.feed(batch(HTTP_5XX, t + 401, ("a",), ["x"] * 4))
    snap = bank.snapshot()
    assert snap.totals == {"Http5xxBurst": 2, "HeartbeatMissing": 1}
    assert snap.overflow == {"Http5xxBurst": 7, "HeartbeatMissing": 0}
    assert snap.values == (
        ("Http5xxBurst", (("upstream", "a"),), 4.0),
        ("HeartbeatMissing", (), 0.0),
    )
    assert snap.firing("Http5xxBurst") == [{"upstream": "a", "severity": "page"}]


def test_detector_infos_show_at_most_20_readings_firing_first() -> None:
    many = Threshold(
        name="PerUser",
        type="threshold",
        rule="http_5xx",
        window=60.0,
        group_by=["upstream"],
        condition=Comparison(gte=2),
    )
    bank = Detectors([many], START)
    t = START + 1
    for i in range(30):
        bank.feed(batch(HTTP_5XX, t, (f"u{i:02}",), ["x"]))
    bank.feed(batch(HTTP_5XX, t, ("u25",), ["x"]))  # the only one with 2
    (info,) = bank.snapshot().detectors
    assert (info.name, info.type, info.groups, info.total) == ("PerUser", "threshold", 30, 1)
    assert len(info.readings) == 20
    assert info.readings[0] == ((("upstream", "u25"),), 2.0, "count 2 >= 2")
    assert [r[0][0][1] for r in info.readings[1:4]] == ["u00", "u01", "u02"]


def test_template_detectors_are_left_out() -> None:
    later = NewTemplate(name="NewKind", type="new_template", source="app")
    bank = Detectors([later, QUIET], START)
    assert bank.taps == (Tap("heartbeat"),)
    assert bank.evaluate(START + 500) != []
    assert list(bank.snapshot().totals) == ["HeartbeatMissing"]
    assert [d.name for d in bank.snapshot().detectors] == ["HeartbeatMissing"]


def test_taps_of_every_detector_each_once() -> None:
    bank = Detectors([BURST, SHARE, QUIET], START)
    assert bank.taps == (HTTP_5XX, HTTP_ALL, Tap("heartbeat"))


def test_batches_of_taps_no_detector_reads_are_ignored() -> None:
    bank = Detectors([QUIET], START)
    assert bank.feed(batch(HTTP_5XX, START + 500, ("billing",))) == []
    assert bank.evaluations == 0


def test_a_fractional_interval_steps_by_its_multiples() -> None:
    bank = Detectors([QUIET], START, interval=0.1)
    (change,) = bank.evaluate(START + 200)
    assert change.state == "firing"
    assert abs(change.time - (START + 180)) < 1e-6
    assert 1800 <= bank.evaluations < 2100  # every 0.1 s until the window is surely over
