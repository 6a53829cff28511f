"""One detector at run time: its measure, its alerts, its groups' last lines, its instants.

The bank (`detect.bank`) routes tap entries to slots and decides when to evaluate; a slot adds,
evaluates, and says when it next needs an evaluation. While nothing is left in the measure's
windows its readings cannot change until new input comes, so with unchanged readings the only
instants that matter are those at which the lifecycle would change (a pending alert's `for`
ending, a held alert's `keep_firing_for` ending); that is what lets a day-long gap in a replay
cost a handful of evaluations instead of 86 400.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from typing import Any

from logsidecar.detect.alerts import Active, LabelPairs, Transition
from logsidecar.detect.lifecycle import Lifecycle, number
from logsidecar.detect.measure import Labels, Measure, Reading
from logsidecar.detect.measures import make_measure
from logsidecar.detect.render import group_by, label_pairs, render_annotations, transition
from logsidecar.rules.detectors import NewValue, Spike
from logsidecar.rules.model import Detector
from logsidecar.rules.taps import SAMPLES, cut_sample


def horizon(detector: Detector) -> float:
    """How long after its last input (or its start) a detector's measure can still change by
    time alone — every window and baseline emptied, every first window complete — with margin
    for bucket edges."""
    window = float(getattr(detector, "window", None) or 0.0)
    extra = detector.baseline if isinstance(detector, Spike) else 0.0
    if isinstance(detector, NewValue):
        extra = detector.learn_for
    return window + extra + max(1.0, window / 10) + 1.0


class Slot:
    """The run-time state of one detector."""

    def __init__(self, detector: Detector, started: float) -> None:
        self.detector = detector
        self.started = started
        self.measure: Measure = make_measure(detector, started)
        self.lifecycle = Lifecycle(detector.for_, detector.keep_firing_for)
        self.samples: dict[Labels, deque[str]] = {}
        self.readings: dict[Labels, Reading] = {}
        self.last_eval: float | None = None
        self.last_input: float | None = None
        self._horizon = horizon(detector)
        self._width = len(group_by(detector))
        self._next: float | None = None  # cached next_instant

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        self.measure.add(tap, time, group, count, values)
        if self.last_input is None or time > self.last_input:
            self.last_input = time
        self._next = None

    def sample(self, group: Labels, line: str) -> None:
        lines = self.samples.get(group)
        if lines is None:
            lines = self.samples[group] = deque(maxlen=SAMPLES)
        lines.append(cut_sample(line))

    def evaluate(self, now: float) -> list[Transition]:
        """Read the measure at `now` (not before the last evaluation) and step the alerts."""
        if self.last_eval is not None and now < self.last_eval:
            now = self.last_eval
        readings = self.measure.read(now)
        changes = self.lifecycle.step(now, readings)
        self.readings = readings
        self.last_eval = now
        self._next = None
        d, samples = self.detector, self.samples
        out = [transition(d, now, c, samples.get(c.group, ())) for c in changes]
        alerts = self.lifecycle.alerts
        if len(samples) > len(readings) + len(alerts):  # groups gone: forget their lines
            self.samples = {g: s for g, s in samples.items() if g in readings or g in alerts}
        return out

    def next_instant(self, interval: float) -> float:
        """The next multiple of `interval` after the last evaluation at which this detector must
        be evaluated (inf: none until new input)."""
        if self._next is None:
            self._next = self._next_instant(interval)
        return self._next

    def _next_instant(self, interval: float) -> float:
        cursor = self.started if self.last_eval is None else self.last_eval
        k = math.floor(cursor / interval) + 1
        while k * interval <= cursor:  # float rounding (an interval such as 0.1)
            k += 1
        following = k * interval
        if self.last_eval is None:
            return following
        quiet = max(self.started, self.last_input or self.started) + self._horizon
        if self.last_eval < quiet:
            return following
        when = self.lifecycle.next_change(self.readings)
        if when is None:
            return math.inf
        if when == -math.inf:
            return following
        return max(following, math.ceil(when / interval) * interval)

    def forget_instant(self) -> None:
        self._next = None

    def actives(self) -> list[Active]:
        d = self.detector
        out: list[Active] = []
        for group, alert in self.lifecycle.alerts.items():
            grouped, labels = label_pairs(d, group)
            out.append(
                Active(
                    detector=d.name,
                    state=alert.state,
                    group=grouped,
                    labels=labels,
                    value=alert.value,
                    since=alert.since,
                    condition=alert.condition,
                    annotations=render_annotations(d, alert.value, labels),
                )
            )
        return out

    def values(self) -> list[tuple[str, LabelPairs, float]]:
        d = self.detector
        return [
            (d.name, label_pairs(d, g)[0], r.value)
            for g, r in self.readings.items()
            if r.value is not None
        ]

    def readings_shown(self, limit: int) -> tuple[tuple[LabelPairs, float | None, str], ...]:
        """Up to `limit` (group, value, condition): firing alerts, pending ones, then groups
        whose condition holds, then the others, each in the measure's order."""
        d, alerts = self.detector, self.lifecycle.alerts
        order = [g for g, a in alerts.items() if a.state == "firing"]
        order += [g for g, a in alerts.items() if a.state == "pending"]
        if len(order) < limit:
            order += [g for g, r in self.readings.items() if r.fires and g not in alerts]
        if len(order) < limit:
            order += [g for g, r in self.readings.items() if not r.fires and g not in alerts]
        shown: list[tuple[LabelPairs, float | None, str]] = []
        for g in order[:limit]:
            alert = alerts.get(g)
            if alert is not None:
                shown.append((label_pairs(d, g)[0], alert.value, alert.condition))
            else:
                reading = self.readings[g]
                shown.append((label_pairs(d, g)[0], reading.value, reading.condition))
        return tuple(shown)

    def group_count(self) -> int:
        return len(self.readings.keys() | self.lifecycle.alerts.keys())

    def to_state(self, definition: dict[str, Any]) -> dict[str, Any]:
        return {
            "definition": definition,
            "started": self.started,
            "measure": self.measure.to_state(),
            **self.lifecycle.to_state(),
            "samples": [[list(g), list(lines)] for g, lines in self.samples.items()],
            "last_eval": self.last_eval,
            "last_input": self.last_input,
        }

    @classmethod
    def from_state(cls, detector: Detector, state: Mapping[str, Any]) -> Slot:
        """A slot as `to_state` saved it; KeyError, TypeError or ValueError on a misfit."""
        slot = cls(detector, number(state["started"]))
        slot.measure.restore(state["measure"])
        slot.lifecycle.restore(state)
        for group in slot.lifecycle.alerts:
            slot._check_group(group)
        rows = state["samples"]
        if not isinstance(rows, list):
            raise TypeError("samples is not a list")
        for row in rows:
            if not isinstance(row, list) or len(row) != 2:
                raise TypeError(f"sample row {row!r} is not [group, lines]")
            group, lines = row
            if not isinstance(group, list) or not isinstance(lines, list):
                raise TypeError(f"sample row {row!r} is not [group, lines]")
            slot._check_group(tuple(group))
            for line in lines:
                if not isinstance(line, str):
                    raise TypeError(f"sample line {line!r} is not text")
                slot.sample(tuple(group), line)
        last_eval, last_input = state["last_eval"], state["last_input"]
        slot.last_eval = None if last_eval is None else number(last_eval)
        slot.last_input = None if last_input is None else number(last_input)
        if slot.last_eval is not None:  # what the last evaluation read (reads are repeatable)
            slot.readings = slot.measure.read(slot.last_eval)
        return slot

    def _check_group(self, group: Labels) -> None:
        if len(group) != self._width or not all(isinstance(v, str) for v in group):
            raise ValueError(f"group {list(group)!r} does not fit group_by of {self._width}")
