"""What the detector bank says: transitions (for the log and `replay`), and a snapshot of the
alerts in force (for /metrics, the status page and `logsidecar test`). Plain, frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

State = Literal["inactive", "pending", "firing"]
To = Literal["pending", "firing", "resolved", "inactive"]  # inactive: a pending one cleared
LabelPairs = tuple[tuple[str, str], ...]  # (name, value), in group_by order


@dataclass(frozen=True)
class Transition:
    time: float  # the evaluation instant it happened at
    detector: str
    type: str  # the detector's type
    previous: State
    state: To
    group: LabelPairs  # group_by labels
    labels: LabelPairs  # group_by labels, then the static labels
    value: float | None
    condition: str
    annotations: tuple[tuple[str, str], ...] = ()  # rendered
    lines: tuple[str, ...] = ()  # the group's last matching lines, each cut to 512 bytes

    @property
    def event(self) -> str:
        """The log event's name: anomaly_pending, anomaly_firing, anomaly_resolved or
        anomaly_cleared (pending, and the condition stopped holding before `for`)."""
        return "anomaly_cleared" if self.state == "inactive" else f"anomaly_{self.state}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "event": self.event,
            "detector": self.detector,
            "type": self.type,
            "from": self.previous,
            "to": self.state,
            "labels": dict(self.labels),
            "value": self.value,
            "condition": self.condition,
            "annotations": dict(self.annotations),
            "lines": list(self.lines),
        }


@dataclass(frozen=True)
class Active:
    """An alert pending or firing now."""

    detector: str
    state: Literal["pending", "firing"]
    group: LabelPairs
    labels: LabelPairs  # group_by labels, then the static labels
    value: float | None
    since: float  # when it entered this state
    condition: str
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DetectorInfo:
    """One detector's summary for the status page."""

    name: str
    type: str
    groups: int  # groups with state
    overflow: int
    total: int  # times it went to firing
    # (group, value, condition) of some groups (bounded), firing ones first
    readings: tuple[tuple[LabelPairs, float | None, str], ...] = ()


@dataclass(frozen=True)
class AnomalySnapshot:
    active: tuple[Active, ...] = ()
    # (detector, group, value) of every group that has a value
    values: tuple[tuple[str, LabelPairs, float], ...] = ()
    totals: dict[str, int] = field(default_factory=dict)  # detector -> times it went to firing
    overflow: dict[str, int] = field(default_factory=dict)  # detector -> inputs refused/evicted
    detectors: tuple[DetectorInfo, ...] = ()

    def firing(self, detector: str) -> list[dict[str, str]]:
        """The labels of `detector`'s firing alerts (what `logsidecar test` compares)."""
        return [
            dict(a.labels) for a in self.active if a.detector == detector and a.state == "firing"
        ]
