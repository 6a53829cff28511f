"""The alert lifecycle of one detector: per group, inactive -> pending -> firing -> resolved.

Prometheus's `for` and `keep_firing_for`, applied at evaluation instants only (the transition time
is the instant it was seen at):

- inactive, fires: pending since now (`for` > 0), or firing at once (`for` == 0);
- pending, fires for `for` (now - since >= for): firing; pending, stops firing: inactive again
  (logged as anomaly_cleared);
- firing, stops firing: resolved at once (`keep_firing_for` == 0), else held firing until the
  condition has been false for `keep_firing_for`, measured from the first instant it was false
  (firing again resets that); resolved: the alert is gone, the group may fire again.

A group with an alert that the measure no longer reads (its window emptied) does not fire, with
value None. Only pending and firing alerts are kept, so the state is as bounded as the measure's
groups. Pure: fed readings and times, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from logsidecar.detect.alerts import State, To
from logsidecar.detect.measure import Labels, Reading

GONE = Reading(None, False, "no longer measured: nothing in the window")


@dataclass
class Alert:
    """One group's pending or firing alert, with its last reading."""

    state: Literal["pending", "firing"]
    since: float  # when it entered this state
    value: float | None
    condition: str
    cleared: float | None = None  # firing, held: the first instant the condition was false


@dataclass(frozen=True)
class Change:
    """One group's transition at one instant."""

    group: Labels
    previous: State
    state: To
    value: float | None
    condition: str


class Lifecycle:
    """The alerts of one detector, by group; `total` counts the times one went to firing."""

    def __init__(self, for_: float, keep_firing_for: float) -> None:
        self.for_ = for_
        self.keep_firing_for = keep_firing_for
        self.alerts: dict[Labels, Alert] = {}
        self.total = 0

    def step(self, now: float, readings: Mapping[Labels, Reading]) -> list[Change]:
        """Evaluate every group read at `now`, and every alerting group the measure no longer
        reads; the changes in that order (readings first)."""
        changes: list[Change] = []
        alerts = self.alerts
        for group, reading in readings.items():
            alert = alerts.get(group)
            if alert is not None:
                self._advance(now, group, alert, reading, changes)
            elif reading.fires:
                self._start(now, group, reading, changes)
        if len(alerts) > 0:
            for group in [g for g in alerts if g not in readings]:
                self._advance(now, group, alerts[group], GONE, changes)
        return changes

    def _start(self, now: float, group: Labels, reading: Reading, out: list[Change]) -> None:
        state: Literal["pending", "firing"] = "pending" if self.for_ > 0 else "firing"
        self.alerts[group] = Alert(state, now, reading.value, reading.condition)
        if state == "firing":
            self.total += 1
        out.append(Change(group, "inactive", state, reading.value, reading.condition))

    def _advance(
        self, now: float, group: Labels, alert: Alert, reading: Reading, out: list[Change]
    ) -> None:
        alert.value = reading.value
        alert.condition = reading.condition
        if alert.state == "pending":
            if not reading.fires:
                del self.alerts[group]
                out.append(Change(group, "pending", "inactive", reading.value, reading.condition))
            elif now - alert.since >= self.for_:
                alert.state = "firing"
                alert.since = now
                self.total += 1
                out.append(Change(group, "pending", "firing", reading.value, reading.condition))
            return
        if reading.fires:
            alert.cleared = None
            return
        if alert.cleared is None:
            alert.cleared = now
        if now - alert.cleared >= self.keep_firing_for:
            del self.alerts[group]
            out.append(Change(group, "firing", "resolved", reading.value, reading.condition))

    def next_change(self, readings: Mapping[Labels, Reading]) -> float | None:
        """If the readings stayed these from now on: the earliest time a group would change
        (-inf: at the next instant), or None when nothing ever would. The bank uses it to skip
        instants while its measure cannot change (nothing left in the windows)."""
        soonest: float | None = None
        alerts = self.alerts
        for group, reading in readings.items():
            if reading.fires and group not in alerts:
                return -math.inf
        for group, alert in alerts.items():
            fires = readings.get(group, GONE).fires
            when: float | None
            if alert.state == "pending":
                when = alert.since + self.for_ if fires else -math.inf
            elif fires:
                when = None
            elif alert.cleared is None:
                when = -math.inf
            else:
                when = alert.cleared + self.keep_firing_for
            if when is not None and (soonest is None or when < soonest):
                soonest = when
        return soonest

    def to_state(self) -> dict[str, Any]:
        """JSON-able: {"alerts": [...], "total": n}."""
        return {
            "alerts": [
                {
                    "group": list(group),
                    "state": a.state,
                    "since": a.since,
                    "value": a.value,
                    "condition": a.condition,
                    "cleared": a.cleared,
                }
                for group, a in self.alerts.items()
            ],
            "total": self.total,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what `to_state` wrote; raises KeyError, TypeError or ValueError when it does
        not fit (then nothing is changed)."""
        total = state["total"]
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ValueError(f"alert total {total!r} is not a count")
        rows = state["alerts"]
        if not isinstance(rows, list):
            raise TypeError("alerts is not a list")
        alerts: dict[Labels, Alert] = {}
        for row in rows:
            group = row["group"]
            if not isinstance(group, list) or not all(isinstance(v, str) for v in group):
                raise TypeError(f"alert group {group!r} is not a list of strings")
            kind = row["state"]
            if kind not in ("pending", "firing"):
                raise ValueError(f"alert state {kind!r} is neither pending nor firing")
            condition = row["condition"]
            if not isinstance(condition, str):
                raise TypeError(f"alert condition {condition!r} is not text")
            cleared = row["cleared"]
            alerts[tuple(group)] = Alert(
                kind,
                number(row["since"]),
                None if row["value"] is None else number(row["value"]),
                condition,
                None if cleared is None else number(cleared),
            )
        self.alerts = alerts
        self.total = total


def number(value: Any) -> float:
    """A JSON number as a float; TypeError for anything else (a bool included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a number")
    return float(value)
