"""The detector bank: every detector of a rule set, fed tap batches, evaluated at instants.

- `feed(taps)` takes a batch's entries in time order: for each distinct time it adds that time's
  entries (and matching lines) and evaluates every detector at it.
- `evaluate(now)` evaluates every detector at `now` (the service's loop calls it every tick).
- With `interval` (rule tests and replay: 1 s), before evaluating at t the bank also evaluates at
  every multiple of `interval` in (last evaluation, t), so the outcome is what a running sidecar
  evaluating every `interval` would have seen; instants at which nothing can change (the windows
  are empty and no alert is about to change) are skipped, so a long gap costs nothing.
- Transitions come back in time order; `snapshot()` is what /metrics, the status page and
  `logsidecar test` show; `to_state`/`restore` and `keep` carry detectors over restarts and
  reloads when their definition is unchanged.

new_template and template_rate detectors are fed by the template miner (issue 11): the bank
leaves them out entirely for now.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from logsidecar.detect.alerts import AnomalySnapshot, DetectorInfo, Transition
from logsidecar.detect.measure import Labels
from logsidecar.detect.slot import Slot
from logsidecar.rules.detectors import NewTemplate, TemplateRate
from logsidecar.rules.model import Detector
from logsidecar.rules.taps import Tap, TapBatch, all_taps, taps_for

VERSION = 1
READINGS_SHOWN = 20  # per detector in the snapshot's DetectorInfo

Entry = tuple[list[tuple[Slot, int]], Labels, int, Mapping[str, int] | None]
Lines = tuple[list[Slot], Labels, str]


def evaluated(detector: Detector) -> bool:
    """Whether the bank runs this detector (not yet the template miner's types)."""
    return not isinstance(detector, NewTemplate | TemplateRate)


class Detectors:
    """Every evaluated detector of a rule set, with its measure, alerts and last lines."""

    def __init__(
        self,
        detectors: Sequence[Detector],
        started: float,
        interval: float | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> None:
        """`inputs`: what each rule matches (`rules.ruleset.rule_inputs`); a detector is the
        same across a reload or a restart only when it and the rules it reads are."""
        if interval is not None and not interval > 0:
            raise ValueError(f"interval must be longer than 0, not {interval!r}")
        self.interval = interval
        self.started = started
        self._slots: dict[str, Slot] = {d.name: Slot(d, started) for d in detectors if evaluated(d)}
        self._dumps: dict[str, dict[str, Any]] = {}
        self._inputs: Mapping[str, Any] = inputs or {}
        self.taps: tuple[Tap, ...] = all_taps(tuple(s.detector for s in self._slots.values()))
        self.evaluations = 0  # detector evaluations done (each detector at each instant)
        self._route()

    def _route(self) -> None:
        """Which slots read which tap: (slot, tap number) for the counts; the slots whose first
        tap it is for the lines (a ratio shows its numerator's lines)."""
        self._users: dict[Tap, list[tuple[Slot, int]]] = {}
        self._samplers: dict[Tap, list[Slot]] = {}
        for slot in self._slots.values():
            for i, tap in enumerate(taps_for(slot.detector)):
                self._users.setdefault(tap, []).append((slot, i))
                if i == 0:
                    self._samplers.setdefault(tap, []).append(slot)

    def feed(self, taps: Mapping[Tap, TapBatch]) -> list[Transition]:
        """Add a batch and evaluate at each of its distinct times, in order."""
        entries: dict[float, list[Entry]] = {}
        lines: dict[float, list[Lines]] = {}
        for tap, batch in taps.items():
            users = self._users.get(tap)
            if users is None:
                continue
            values = batch.values
            for key, count in batch.counts.items():
                time, group = key
                entries.setdefault(time, []).append((users, group, count, values.get(key)))
            samplers = self._samplers.get(tap)
            if samplers is not None:
                for time, group, line in batch.samples:
                    lines.setdefault(time, []).append((samplers, group, line))
        out: list[Transition] = []
        for time in sorted(entries.keys() | lines.keys()):
            out += self._catch_up(time)
            for users, group, count, vals in entries.get(time, ()):
                for slot, index in users:
                    slot.add(index, time, group, count, vals)
            for samplers, group, line in lines.get(time, ()):
                for slot in samplers:
                    slot.sample(group, line)
            out += self._evaluate_all(time)
        return out

    def evaluate(self, now: float) -> list[Transition]:
        """Evaluate every detector at `now` (and, with an interval, at the instants before)."""
        return self._catch_up(now) + self._evaluate_all(now)

    def _evaluate_all(self, now: float) -> list[Transition]:
        out: list[Transition] = []
        for slot in self._slots.values():
            out += slot.evaluate(now)
        self.evaluations += len(self._slots)
        return out

    def _catch_up(self, until: float) -> list[Transition]:
        """Evaluate at the multiples of the interval before `until` that some detector needs,
        every detector due at an instant before the next instant."""
        interval = self.interval
        if interval is None or not self._slots:
            return []
        out: list[Transition] = []
        slots = list(self._slots.values())
        while True:
            due = [(slot.next_instant(interval), slot) for slot in slots]
            soonest = min(when for when, _ in due)
            if not soonest < until or soonest == math.inf:
                return out
            for when, slot in due:
                if when == soonest:
                    out += slot.evaluate(when)
                    self.evaluations += 1

    def keep(self, old: Detectors) -> None:
        """On reload: take over the state of every detector of `old` whose definition is
        unchanged (the same model); changed and new ones stay fresh, from this bank's start."""
        for name, slot in self._slots.items():
            before = old._slots.get(name)
            if before is not None and old._dump(before) == self._dump(slot):
                before.forget_instant()
                self._slots[name] = before
        self._route()

    def _dump(self, slot: Slot) -> dict[str, Any]:
        name = slot.detector.name
        dump = self._dumps.get(name)
        if dump is None:
            reads = {t.rule for t in taps_for(slot.detector)}
            dump = self._dumps[name] = {
                "detector": slot.detector.model_dump(mode="json", by_alias=True),
                "rules": {r: self._inputs[r] for r in sorted(reads) if r in self._inputs},
            }
        return dump

    def to_state(self) -> dict[str, Any]:
        """The checkpoint section: JSON-able."""
        return {
            "version": VERSION,
            "detectors": {n: s.to_state(self._dump(s)) for n, s in self._slots.items()},
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back the detectors of `state` whose saved definition is the one in force (the
        others stay fresh). An empty mapping is a state without the section (an older file):
        nothing to restore. KeyError, TypeError or ValueError when it does not fit; then
        nothing is restored."""
        if not isinstance(state, Mapping):
            raise TypeError("the detector state is not a mapping")
        if not state:
            return
        if state["version"] != VERSION:
            raise ValueError(f"detector state version {state['version']!r} is not {VERSION}")
        saved = state["detectors"]
        if not isinstance(saved, Mapping):
            raise TypeError("the detector state's detectors are not a mapping")
        restored: dict[str, Slot] = {}
        for name, section in saved.items():
            slot = self._slots.get(name)
            if slot is None:
                continue
            if not isinstance(section, Mapping):
                raise TypeError(f"the state of detector {name!r} is not a mapping")
            if section["definition"] != self._dump(slot):
                continue
            restored[name] = Slot.from_state(slot.detector, section)
        self._slots.update(restored)
        self._route()

    def snapshot(self) -> AnomalySnapshot:
        """The alerts in force and every group's value, as of each detector's last evaluation."""
        slots = self._slots.values()
        return AnomalySnapshot(
            active=tuple(a for s in slots for a in s.actives()),
            values=tuple(v for s in slots for v in s.values()),
            totals={s.detector.name: s.lifecycle.total for s in slots},
            overflow={s.detector.name: s.measure.overflow for s in slots},
            detectors=tuple(
                DetectorInfo(
                    name=s.detector.name,
                    type=s.detector.type,
                    groups=s.group_count(),
                    overflow=s.measure.overflow,
                    total=s.lifecycle.total,
                    readings=s.readings_shown(READINGS_SHOWN),
                )
                for s in slots
            ),
        )
