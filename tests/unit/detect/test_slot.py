"""Skipping instants is invisible: a bank with `interval` evaluated only at its inputs and at the
end says exactly what a bank evaluated every second says, for every detector type, whatever the
gaps between inputs (shorter and longer than the windows)."""

from __future__ import annotations

import math

from hypothesis import given, settings

from logsidecar.detect.alerts import Transition
from logsidecar.detect.bank import Detectors
from tests.unit.detect.bankdata import START
from tests.unit.detect.everytype import DETECTORS, Input, batches, inputs


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
