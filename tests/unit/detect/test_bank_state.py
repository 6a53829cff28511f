"""The bank across reloads (`keep`) and restarts (`to_state` / `restore`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsidecar.detect.bank import Detectors
from logsidecar.rules.detectors import Comparison
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
    steps,
)
from tests.unit.detect.everytype import DETECTORS as EVERY_TYPE
from tests.unit.detect.everytype import Input, batches, inputs

DETECTORS = [BURST, SHARE, QUIET]
LATER = START + 1_000


def half_way() -> Detectors:
    """The three detectors at 2m30s, after all the burst's lines (to 1m59s) and 100 denominator
    lines: Http5xxBurst pending, ErrorRatio firing, HeartbeatMissing armed 2m30s ago (of 3m)."""
    bank = Detectors(DETECTORS, START, interval=1.0)
    feed_all(bank, [(t, taps) for t, taps in burst_lines() if t <= START + 150])
    bank.feed(batch(HTTP_ALL, START + 150, ("billing",), ["ok"] * 100))
    bank.evaluate(START + 150)
    return bank


def the_rest(bank: Detectors) -> list[tuple[float, str, str, str]]:
    out = feed_all(bank, [(t, taps) for t, taps in burst_lines() if t > START + 150])
    out += bank.evaluate(START + 400)
    out += bank.feed(batch(HTTP_5XX, START + 401, ("search",), ["500"] * 60))
    return steps(out + bank.evaluate(LATER))


def test_half_way_is_what_the_state_tests_need() -> None:
    snap = half_way().snapshot()
    assert [(a.detector, a.state) for a in snap.active] == [
        ("Http5xxBurst", "pending"),
        ("ErrorRatio", "firing"),
    ]


def test_state_through_json_restores_the_same_snapshot_and_future() -> None:
    original = half_way()
    state = json.loads(json.dumps(original.to_state()))
    restored = Detectors(DETECTORS, START + 999, interval=1.0)  # started: taken from the state
    restored.restore(state)
    assert restored.snapshot() == original.snapshot()
    assert restored.to_state() == original.to_state()
    future = the_rest(original)
    assert the_rest(restored) == future
    assert restored.snapshot() == original.snapshot()
    assert (168.0, "Http5xxBurst", "pending", "firing") in future


@settings(max_examples=40, deadline=None)
@given(inputs, st.integers(0, 12), st.floats(0.0, 30.0))
def test_every_type_restored_goes_on_as_if_never_stopped(
    plan: list[Input], cut: int, pause: float
) -> None:
    feeds = batches(plan)
    before, after = feeds[:cut], feeds[cut:]
    original = Detectors(EVERY_TYPE, START, interval=1.0)
    feed_all(original, before)
    saved_at = (before[-1][0] if before else START) + pause
    original.evaluate(saved_at)
    restored = Detectors(EVERY_TYPE, saved_at, interval=1.0)
    restored.restore(json.loads(json.dumps(original.to_state())))
    assert restored.snapshot() == original.snapshot()
    end = (feeds[-1][0] if feeds else START) + 100.0
    future = feed_all(original, after) + original.evaluate(end)
    assert feed_all(restored, after) + restored.evaluate(end) == future
    assert restored.snapshot() == original.snapshot()


def test_state_layout() -> None:
    state = half_way().to_state()
    assert state["version"] == 1
    burst = state["detectors"]["Http5xxBurst"]
    assert set(burst) >= {
        "definition",
        "started",
        "measure",
        "alerts",
        "samples",
        "total",
        "last_eval",
    }
    assert burst["definition"] == {
        "detector": BURST.model_dump(mode="json", by_alias=True),
        "rules": {},  # no rule inputs given to this bank
    }
    assert (burst["started"], burst["last_eval"], burst["total"]) == (START, START + 150, 0)
    assert burst["samples"] == [[["billing"], [f"500 #{i} upstream=billing" for i in (57, 58, 59)]]]


def test_restore_leaves_a_changed_detector_fresh() -> None:
    state = json.loads(json.dumps(half_way().to_state()))
    changed = BURST.model_copy(update={"condition": Comparison(gte=40)})
    restored = Detectors([changed, SHARE, QUIET], LATER, interval=1.0)
    restored.restore(state)
    snap = restored.snapshot()
    assert [(a.detector, a.state) for a in snap.active] == [("ErrorRatio", "firing")]
    assert snap.totals == {"Http5xxBurst": 0, "ErrorRatio": 1, "HeartbeatMissing": 0}
    assert restored.to_state()["detectors"]["Http5xxBurst"]["started"] == LATER


def test_restore_ignores_detectors_no_longer_defined() -> None:
    state = json.loads(json.dumps(half_way().to_state()))
    restored = Detectors([SHARE], LATER)
    restored.restore(state)
    assert restored.snapshot().totals == {"ErrorRatio": 1}


def test_no_section_restores_nothing_and_is_no_misfit() -> None:
    bank = half_way()
    before = bank.to_state()
    bank.restore({})  # a state file of a release before detectors
    assert bank.to_state() == before


def misfits() -> list[tuple[str, Any, type[Exception]]]:
    good = json.loads(json.dumps(half_way().to_state()))

    def edit(path: list[str], value: Any) -> Any:
        state = json.loads(json.dumps(good))
        here = state
        for key in path[:-1]:
            here = here[key]
        if value is KeyError:
            del here[path[-1]]
        else:
            here[path[-1]] = value
        return state

    ratio = ["detectors", "ErrorRatio"]
    return [
        ("not a mapping", [], TypeError),
        ("newer version", edit(["version"], 2), ValueError),
        ("no detectors", edit(["detectors"], KeyError), KeyError),
        ("detectors a list", edit(["detectors"], []), TypeError),
        ("a detector a list", edit(ratio, []), TypeError),
        ("no measure", edit([*ratio, "measure"], KeyError), KeyError),
        ("a measure of another kind", edit([*ratio, "measure", "kind"], "absence"), ValueError),
        ("started text", edit([*ratio, "started"], "now"), TypeError),
        ("samples a dict", edit([*ratio, "samples"], {}), TypeError),
        ("sample group too long", edit([*ratio, "samples"], [[["a", "b"], ["x"]]]), ValueError),
        ("sample line a number", edit([*ratio, "samples"], [[["a"], [1]]]), TypeError),
        ("no last_eval", edit([*ratio, "last_eval"], KeyError), KeyError),
        ("alerts text", edit([*ratio, "alerts"], "firing"), TypeError),
        ("negative total", edit([*ratio, "total"], -1), ValueError),
    ]


@pytest.mark.parametrize(("what", "state", "error"), misfits(), ids=[m[0] for m in misfits()])
def test_a_misfit_state_raises_and_restores_nothing(
    what: str, state: Any, error: type[Exception]
) -> None:
    bank = Detectors(DETECTORS, LATER)
    with pytest.raises(error):
        bank.restore(state)
    # Http5xxBurst (before ErrorRatio in the state) fitted, yet is not restored either
    assert bank.snapshot().totals == {"Http5xxBurst": 0, "ErrorRatio": 0, "HeartbeatMissing": 0}
    assert bank.to_state() == Detectors(DETECTORS, LATER).to_state()


def test_keep_takes_over_unchanged_detectors_and_starts_changed_ones_fresh() -> None:
    old = half_way()
    changed = SHARE.model_copy(update={"min_denominator": 1000})
    new = Detectors([BURST, changed, QUIET], LATER, interval=1.0)
    new.keep(old)
    snap = new.snapshot()
    assert [(a.detector, a.state, a.since) for a in snap.active] == [
        ("Http5xxBurst", "pending", START + 108)
    ]
    assert snap.totals == {"Http5xxBurst": 0, "ErrorRatio": 0, "HeartbeatMissing": 0}
    state = new.to_state()["detectors"]
    assert (state["Http5xxBurst"]["started"], state["ErrorRatio"]["started"]) == (START, LATER)
    # the kept ones go on as without the reload: the burst firing at 168 (its lines of before),
    # the heartbeat missing at 180 (armed at the start, not at the reload)
    assert steps(new.evaluate(START + 190)) == [
        (168.0, "Http5xxBurst", "pending", "firing"),
        (180.0, "HeartbeatMissing", "inactive", "firing"),
    ]


def test_keep_then_a_new_detector_gets_the_new_taps() -> None:
    old = Detectors([QUIET], START)
    new = Detectors([QUIET, BURST], START + 10)
    new.keep(old)
    assert new.taps == (QUIET_TAP, HTTP_5XX)
    new.feed(batch(HTTP_5XX, START + 20, ("billing",), ["x"] * 50))
    assert [a.detector for a in new.snapshot().active] == ["Http5xxBurst"]


QUIET_TAP = Detectors([QUIET], START).taps[0]


def test_a_detector_whose_rule_changed_is_a_changed_detector() -> None:
    """The same detector over a rule that now matches other events starts fresh, on reload and
    on restore; over an unchanged rule it goes on."""
    rules = {"http_5xx": {"source": None, "match": {"status": {"gte": 500}}, "lists": {}}}
    other = {"http_5xx": {"source": None, "match": {"status": {"gte": 400}}, "lists": {}}}
    old = Detectors([BURST], START, interval=1.0, inputs=rules)
    feed_all(old, [(t, taps) for t, taps in burst_lines() if t <= START + 150])
    state = json.loads(json.dumps(old.to_state()))
    same, changed = (Detectors([BURST], LATER, interval=1.0, inputs=i) for i in (rules, other))
    same.restore(state)
    changed.restore(state)
    assert (START, LATER) == (
        same.to_state()["detectors"]["Http5xxBurst"]["started"],
        changed.to_state()["detectors"]["Http5xxBurst"]["started"],
    )
    kept, fresh = (Detectors([BURST], LATER, interval=1.0, inputs=i) for i in (rules, other))
    kept.keep(old)
    fresh.keep(old)
    assert (START, LATER) == (
        kept.to_state()["detectors"]["Http5xxBurst"]["started"],
        fresh.to_state()["detectors"]["Http5xxBurst"]["started"],
    )
