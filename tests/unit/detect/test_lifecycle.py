"""The alert lifecycle: `for`, `keep_firing_for`, and transitions only at evaluation instants."""

from __future__ import annotations

import json
import math

import pytest

from logsidecar.detect.lifecycle import GONE, Change, Lifecycle
from logsidecar.detect.measure import Labels, Reading

G: Labels = ("billing",)
ON = Reading(60.0, True, "count 60 >= 50")
OFF = Reading(10.0, False, "count 10 >= 50")


def run(life: Lifecycle, steps: list[tuple[float, Reading | None]]) -> list[tuple[float, str, str]]:
    """Evaluate group G at each (time, reading) — None: the measure does not read G — and
    return (time, from, to) of every change."""
    out: list[tuple[float, str, str]] = []
    for now, reading in steps:
        readings = {} if reading is None else {G: reading}
        out += [(now, c.previous, c.state) for c in life.step(now, readings)]
    return out


def test_for_zero_fires_at_once_and_counts_once() -> None:
    life = Lifecycle(0.0, 0.0)
    changes = life.step(5.0, {G: ON})
    assert changes == [Change(G, "inactive", "firing", 60.0, "count 60 >= 50")]
    assert life.step(6.0, {G: ON}) == []
    assert life.total == 1
    assert life.alerts[G].since == 5.0


def test_pending_for_exactly_for_then_firing() -> None:
    life = Lifecycle(60.0, 0.0)
    changes = run(life, [(100.0, ON), (159.0, ON), (159.999, ON), (160.0, ON), (161.0, ON)])
    assert changes == [(100.0, "inactive", "pending"), (160.0, "pending", "firing")]
    assert life.total == 1
    assert (life.alerts[G].state, life.alerts[G].since) == ("firing", 160.0)


def test_pending_cleared_before_for_is_inactive_and_never_counted() -> None:
    life = Lifecycle(60.0, 0.0)
    changes = run(life, [(100.0, ON), (130.0, OFF), (170.0, ON)])
    assert changes == [
        (100.0, "inactive", "pending"),
        (130.0, "pending", "inactive"),
        (170.0, "inactive", "pending"),
    ]
    assert life.total == 0
    assert life.alerts[G].since == 170.0  # pending anew: `for` counts from 170


def test_a_false_instant_resets_pending_even_if_true_on_both_sides() -> None:
    # Evaluated every 10s: true, true, false (one instant), true, ... firing needs 60s anew.
    life = Lifecycle(60.0, 0.0)
    steps = [(t, OFF if t == 130.0 else ON) for t in range(100, 230, 10)]
    changes = run(life, [(float(t), r) for t, r in steps])
    assert changes == [
        (100.0, "inactive", "pending"),
        (130.0, "pending", "inactive"),
        (140.0, "inactive", "pending"),
        (200.0, "pending", "firing"),
    ]


def test_only_instants_count_not_time_between_them() -> None:
    # Evaluated at 100 and 200 only: pending at 100, firing at 200 (not at 160).
    life = Lifecycle(60.0, 0.0)
    assert run(life, [(100.0, ON), (200.0, ON)]) == [
        (100.0, "inactive", "pending"),
        (200.0, "pending", "firing"),
    ]


def test_keep_firing_for_holds_then_resolves() -> None:
    life = Lifecycle(0.0, 300.0)
    changes = run(life, [(0.0, ON), (10.0, OFF), (200.0, OFF), (309.0, OFF), (310.0, OFF)])
    assert changes == [(0.0, "inactive", "firing"), (310.0, "firing", "resolved")]
    assert life.alerts == {}


def test_keep_firing_for_is_reset_by_a_new_fire() -> None:
    life = Lifecycle(0.0, 300.0)
    changes = run(
        life, [(0.0, ON), (10.0, OFF), (200.0, ON), (210.0, OFF), (400.0, OFF), (510.0, OFF)]
    )
    # held from 10; firing again at 200 resets it; false from 210 on: resolved at 510
    assert changes == [(0.0, "inactive", "firing"), (510.0, "firing", "resolved")]
    assert life.total == 1


def test_held_alert_shows_the_current_reading() -> None:
    life = Lifecycle(0.0, 300.0)
    run(life, [(0.0, ON), (10.0, OFF)])
    alert = life.alerts[G]
    assert (alert.state, alert.since, alert.value, alert.condition, alert.cleared) == (
        "firing",
        0.0,
        10.0,
        "count 10 >= 50",
        10.0,
    )


def test_without_keep_firing_for_resolves_at_the_first_false_instant() -> None:
    life = Lifecycle(0.0, 0.0)
    assert run(life, [(0.0, ON), (1.0, ON), (2.0, OFF)]) == [
        (0.0, "inactive", "firing"),
        (2.0, "firing", "resolved"),
    ]


def test_resolved_then_firing_again_counts_twice() -> None:
    life = Lifecycle(30.0, 0.0)
    changes = run(life, [(0.0, ON), (30.0, ON), (40.0, OFF), (50.0, ON), (80.0, ON)])
    assert changes == [
        (0.0, "inactive", "pending"),
        (30.0, "pending", "firing"),
        (40.0, "firing", "resolved"),
        (50.0, "inactive", "pending"),
        (80.0, "pending", "firing"),
    ]
    assert life.total == 2


def test_a_group_no_longer_read_does_not_fire_and_has_no_value() -> None:
    life = Lifecycle(0.0, 0.0)
    life.step(0.0, {G: ON})
    assert life.step(1.0, {}) == [Change(G, "firing", "resolved", None, GONE.condition)]


def test_a_group_no_longer_read_is_held_by_keep_firing_for() -> None:
    life = Lifecycle(0.0, 60.0)
    assert run(life, [(0.0, ON), (1.0, None), (60.0, None), (61.0, None)]) == [
        (0.0, "inactive", "firing"),
        (61.0, "firing", "resolved"),
    ]


def test_groups_are_independent_and_reported_in_reading_order() -> None:
    life = Lifecycle(0.0, 0.0)
    a, b = ("a",), ("b",)
    assert [c.group for c in life.step(0.0, {b: ON, a: ON})] == [b, a]
    assert [(c.group, c.state) for c in life.step(1.0, {b: ON, a: OFF})] == [(a, "resolved")]
    assert list(life.alerts) == [b]
    assert life.total == 2


def test_next_change_says_when_unchanged_readings_would_change_something() -> None:
    life = Lifecycle(60.0, 300.0)
    assert life.next_change({G: OFF}) is None
    assert life.next_change({G: ON}) == -math.inf  # would go pending at the next instant
    life.step(100.0, {G: ON})
    assert life.next_change({G: ON}) == 160.0  # firing when `for` is over
    assert life.next_change({G: OFF}) == -math.inf  # cleared at the next instant
    life.step(160.0, {G: ON})
    assert life.next_change({G: ON}) is None  # firing for good
    assert life.next_change({G: OFF}) == -math.inf  # the hold starts at the next instant
    life.step(170.0, {G: OFF})
    assert life.next_change({G: OFF}) == 470.0  # resolved when the hold is over
    assert life.next_change({}) == 470.0


def test_state_round_trips_through_json() -> None:
    life = Lifecycle(60.0, 300.0)
    life.step(0.0, {("a",): ON, ("b",): ON})
    life.step(60.0, {("a",): ON, ("b",): ON})
    life.step(70.0, {("a",): OFF, ("b",): ON, ("c",): Reading(math.inf, True, "ratio inf")})
    back = Lifecycle(60.0, 300.0)
    back.restore(json.loads(json.dumps(life.to_state())))
    assert back.alerts == life.alerts
    assert back.total == life.total == 2
    later = {("a",): OFF, ("b",): OFF, ("c",): ON}
    assert back.step(400.0, later) == life.step(400.0, later)


@pytest.mark.parametrize(
    ("state", "error"),
    [
        ({"alerts": []}, KeyError),
        ({"alerts": {}, "total": 0}, TypeError),
        ({"alerts": [], "total": -1}, ValueError),
        ({"alerts": [], "total": True}, ValueError),
        ({"alerts": [{"group": "a"}], "total": 0}, TypeError),
        (
            {
                "alerts": [
                    {"group": [], "state": "resolved", "since": 0, "value": 1, "condition": ""}
                ],
                "total": 0,
            },
            ValueError,
        ),
        (
            {
                "alerts": [
                    {
                        "group": [],
                        "state": "firing",
                        "since": "0",
                        "value": 1,
                        "condition": "",
                        "cleared": None,
                    }
                ],
                "total": 0,
            },
            TypeError,
        ),
    ],
)
def test_a_misfit_state_raises_and_changes_nothing(
    state: dict[str, object], error: type[Exception]
) -> None:
    life = Lifecycle(0.0, 0.0)
    life.step(0.0, {G: ON})
    with pytest.raises(error):
        life.restore(state)
    assert list(life.alerts) == [G]
    assert life.total == 1
