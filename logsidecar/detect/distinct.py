"""new_value and cardinality: measures over distinct values of a field, with exact times.

Values are text (as the engine counts them), cut to 256 characters before they are remembered,
so the state is bounded by counts of values, whatever the lines hold.

- new_value (ungrouped): the values seen, least recently seen first, at most `max_tracked` (the
  least recently seen is evicted; overflow += 1 each). From `started` to `started + learn_for`
  every value is learned silently. After that a value not remembered is new: remembered, and
  recorded with its time in a recent list (the last `max_tracked` kept). value = how many new
  values were first seen in `(now - window, now]`; fires when >= 1. The values go into the
  condition text (at most 5 named), never into labels.
- cardinality: per group, the values last seen in `(now - window, now]`, in the order they were
  last seen; value = how many. A group holds at most `max_tracked` values (a further new value is
  refused, overflow += 1), at most `max_groups` groups live (a match of a new group beyond them is
  refused, overflow += its count). A group goes when its window is empty.

Memory (tests/unit/detect/test_distinct_memory.py, 1,000,000 distinct values fed in batches of
10,000; run it with -s for the figures): new_value at max_tracked 10,000 retains < 4 MiB with
short values (2.1 MiB measured) and < 6 MiB with values cut to 256 characters (4.5 MiB);
cardinality retains < 2 MiB per group of 10,000 short values (1.2 MiB). Budget roughly
max_tracked x (210 B + value length) for new_value, and max_groups x max_tracked x (70 B + value
length) for cardinality: with the defaults (1,000 groups x 10,000 values) that is the operator's
bound to mind.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Mapping
from itertools import islice
from typing import Any

from logsidecar.detect.buckets import Clocked, restore_clock
from logsidecar.detect.compare import Condition, span
from logsidecar.detect.fit import as_labels, as_list, as_mapping, as_str, check_kind, check_time
from logsidecar.detect.measure import Labels, Reading
from logsidecar.rules.detectors import Cardinality, NewValue

VALUE_CHARS = 256  # a value is remembered cut to this many characters
NAMED = 5  # new values named in a condition text


def _value(text: Any) -> str:
    value = as_str(text)
    if len(value) > VALUE_CHARS:
        raise ValueError(f"a value of {len(value)} characters, at most {VALUE_CHARS}")
    return value


class NewValueMeasure(Clocked):
    kind = "new_value"

    def __init__(self, detector: NewValue, started: float) -> None:
        super().__init__(started)
        self.field = detector.field
        self.window = detector.window
        self.max_tracked = detector.max_tracked
        self.learn_until = started + detector.learn_for
        self.known: OrderedDict[str, None] = OrderedDict()  # least recently seen first
        self.recent: deque[tuple[float, str]] = deque(maxlen=detector.max_tracked)

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        if not values:
            return
        time = self._at(time)
        learning = time < self.learn_until
        known = self.known
        recent = self.recent
        for text in values:
            value = text[:VALUE_CHARS]
            if value in known:
                known.move_to_end(value)
                continue
            known[value] = None
            if not learning:
                recent.append((time, value))
            if len(known) > self.max_tracked:
                known.popitem(last=False)
                self.overflow += 1

    def read(self, now: float) -> dict[Labels, Reading]:
        now = self._at(now)
        recent = self.recent
        edge = now - self.window
        while recent and recent[0][0] <= edge:
            recent.popleft()
        n = len(recent)
        window = span(self.window)
        if n:
            names = ", ".join(value for _, value in islice(recent, NAMED))
            more = f", ... ({n - NAMED} more)" if n > NAMED else ""
            plural = "s" if n > 1 else ""
            text = f"{n} new value{plural} of {self.field} in {window}: {names}{more}"
        else:
            text = f"no new value of {self.field} in {window}"
            if now < self.learn_until:
                text += f" (learning for {span(self.learn_until - now)} more)"
        return {(): Reading(float(n), n >= 1, text)}

    def to_state(self) -> dict[str, Any]:
        state = self._clock_state()
        state.update(
            kind=self.kind,
            known=list(self.known),
            recent=[[time, value] for time, value in self.recent],
        )
        return state

    def restore(self, state: Mapping[str, Any]) -> None:
        state = as_mapping(state)
        check_kind(state, self.kind)
        started, latest, overflow = restore_clock(state)
        known: OrderedDict[str, None] = OrderedDict.fromkeys(
            _value(v) for v in as_list(state["known"])
        )
        if len(known) != len(state["known"]) or len(known) > self.max_tracked:
            raise ValueError("known values repeated or more than max_tracked")
        recent: deque[tuple[float, str]] = deque(maxlen=self.max_tracked)
        previous = started
        for item in as_list(state["recent"]):
            time, value = as_list(item, 2)
            time = check_time(time, latest)
            if time < previous:
                raise ValueError("recent values out of order")
            previous = time
            recent.append((time, _value(value)))
        if len(recent) != len(state["recent"]):
            raise ValueError("more recent values than max_tracked")
        self.known, self.recent = known, recent
        self.learn_until += started - self.started
        self.started, self.latest, self.overflow = started, latest, overflow


class CardinalityMeasure(Clocked):
    kind = "cardinality"

    def __init__(self, detector: Cardinality, started: float) -> None:
        super().__init__(started)
        self.what = f"distinct {detector.field}"
        self.window = detector.window
        self.max_tracked = detector.max_tracked
        self.max_groups = detector.max_groups
        self.width = len(detector.group_by)
        self.condition = Condition(detector.condition)
        # per group: value -> when last seen, least recently seen first
        self.groups: dict[Labels, OrderedDict[str, float]] = {}
        self._purged: float | None = None  # when groups were last purged at max_groups
        # Nothing was last seen before this (the oldest first value at the last read): while
        # the window's edge is before it, a read has nothing to expire. Values only come in
        # newer, so it stays a lower bound until the next read recomputes it.
        self._oldest = -math.inf
        self._last: dict[Labels, Reading] = {}  # the last reading per group, reused if unchanged

    @staticmethod
    def _expire(seen: OrderedDict[str, float], edge: float) -> bool:
        """Drops the values last seen at or before `edge`; True when none is left."""
        while seen:
            value, time = next(iter(seen.items()))
            if time > edge:
                return False
            del seen[value]
        return True

    def _admit(self, time: float, group: Labels, count: int) -> OrderedDict[str, float] | None:
        seen = self.groups.get(group)
        if seen is not None:
            self._expire(seen, time - self.window)
            return seen
        if (
            len(self.groups) >= self.max_groups
            and self._purged != time
            and (
                time - self.window >= self._oldest  # else nothing could be purged
            )
        ):
            self._purged = time
            edge = time - self.window
            for stale in [g for g, s in self.groups.items() if self._expire(s, edge)]:
                del self.groups[stale]
        if len(self.groups) >= self.max_groups:
            self.overflow += count
            return None
        seen = self.groups[group] = OrderedDict()
        self._oldest = min(self._oldest, time)  # its first value is at `time`
        return seen

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        if not values:
            return
        time = self._at(time)
        seen = self._admit(time, group, count)
        if seen is None:
            return
        for text in values:
            value = text[:VALUE_CHARS]
            if value in seen:
                seen[value] = time
                seen.move_to_end(value)
            elif len(seen) < self.max_tracked:
                seen[value] = time
            else:
                self.overflow += 1

    def read(self, now: float) -> dict[Labels, Reading]:
        now = self._at(now)
        edge = now - self.window
        if edge >= self._oldest:
            oldest = math.inf
            for group, seen in list(self.groups.items()):
                if self._expire(seen, edge):
                    del self.groups[group]
                else:
                    oldest = min(oldest, next(iter(seen.values())))
            self._oldest = oldest
        out: dict[Labels, Reading] = {}
        last = self._last
        for group, seen in self.groups.items():
            value = float(len(seen))
            reading = last.get(group)
            if reading is None or reading.value != value:
                fires = self.condition.holds(value)
                reading = Reading(value, fires, self.condition.text(self.what, value, fires))
            out[group] = reading
        self._last = out
        return out

    def to_state(self) -> dict[str, Any]:
        state = self._clock_state()
        groups = [[list(g), [[v, t] for v, t in s.items()]] for g, s in self.groups.items()]
        state.update(kind=self.kind, groups=groups)
        return state

    def restore(self, state: Mapping[str, Any]) -> None:
        state = as_mapping(state)
        check_kind(state, self.kind)
        started, latest, overflow = restore_clock(state)
        groups: dict[Labels, OrderedDict[str, float]] = {}
        for item in as_list(state["groups"]):
            labels, pairs = as_list(item, 2)
            group = as_labels(labels, self.width)
            seen: OrderedDict[str, float] = OrderedDict()
            previous = started
            for pair in as_list(pairs):
                value, time = as_list(pair, 2)
                time = check_time(time, latest)
                if time < previous:
                    raise ValueError("values out of order")
                previous = time
                seen[_value(value)] = time
            if group in groups or len(seen) != len(pairs) or len(seen) > self.max_tracked:
                raise ValueError(f"group {group} repeated, or values repeated or too many")
            groups[group] = seen
        if len(groups) > self.max_groups:
            raise ValueError(f"{len(groups)} groups, at most {self.max_groups}")
        self.groups = groups
        self._purged = None
        self._oldest = -math.inf
        self._last = {}
        self.started, self.latest, self.overflow = started, latest, overflow
