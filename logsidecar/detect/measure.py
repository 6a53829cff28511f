"""The interface between a detector's measure (what it computes over its windows) and the bank
that runs the alert lifecycle on top of it.

A measure is pure: fed values with their times, read at a time. It keeps bounded state and says
how much it refused (`overflow`). Time never goes back for a measure: an input older than the
newest one it has seen is taken as of that newest time (late lines count now), and a read at a
time before it reads as of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Labels = tuple[str, ...]


@dataclass(frozen=True)
class Reading:
    """One group's measurement at one instant."""

    value: float | None  # the measured value (None: nothing to compare; never fires)
    fires: bool  # the detector's condition holds
    condition: str  # for people: e.g. "count 52 >= 50", "zscore 5.20 >= 4 (current 40, ...)"


class Measure(Protocol):
    overflow: int  # inputs refused or evicted to stay bounded, since the measure was made

    def add(
        self,
        tap: int,
        time: float,
        group: Labels,
        count: int,
        values: Mapping[str, int] | None,
    ) -> None:
        """`count` matches of tap number `tap` (see rules.taps.taps_for) at `time` for `group`;
        `values`: the value field's values among them, with how often each came."""

    def read(self, now: float) -> dict[Labels, Reading]:
        """Every group the measure has a reading for at `now` (groups whose windows emptied and
        that can no longer fire are dropped here, to stay bounded)."""

    def to_state(self) -> dict[str, Any]:
        """JSON-able; `restore` takes it back into a measure of the same definition."""

    def restore(self, state: Mapping[str, Any]) -> None:
        """Raises KeyError, TypeError or ValueError when `state` does not fit."""
