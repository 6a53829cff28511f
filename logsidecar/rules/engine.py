"""Pure rule evaluation: batches of lines in, observations out.

The engine does no I/O, holds no prometheus objects and reads no clock: `now` is passed in. It
is fed a whole batch of lines of one file (a `LineBatch`), joins multiline events per file, parses
them, matches every rule of the batch's source and returns what to change in the metric store,
aggregated over the batch, so the store is touched once per batch and series, not once per line.

Multiline events still pending at the end of a batch wait for their next line; `flush(now)`
completes those that have been quiet for the source's `timeout`. The pending events are plain
data (`pending_state` / `restore_pending`), for checkpoints.

Detectors read taps (`rules.taps`): each batch's `Observations.taps` holds, per tap that
matched, its matches per (time, group), the values of its field and the last matching lines.
Time is the arrival time (`now`), or with `event_time` the event's own timestamp when it has one.
A tap that needs no field of the events, on a batch whose events share one time, costs nothing per
line: its count is the rule's match count (see `rules.tapfeed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from logsidecar.logline import LineBatch
from logsidecar.rules.observations import Observations, bump
from logsidecar.rules.parse import Event
from logsidecar.rules.plans import Grouped, SourcePlan, source_plans
from logsidecar.rules.ruleset import RuleSet
from logsidecar.rules.tapfeed import TapSink, Wanted, collect, sample_from_end
from logsidecar.rules.taps import SAMPLES, all_taps


class Engine:
    """Compiled evaluation plan for one RuleSet, plus the multiline events it holds."""

    def __init__(
        self,
        ruleset: RuleSet,
        idle_by_event_time: bool = False,
        grouping: bool = True,
        event_time: bool = False,
        not_after_now: bool = False,
    ) -> None:
        """`idle_by_event_time`: a series' last update (for `expire_after`) is the event's time
        rather than its arrival (`now`): for replays of old logs. A running sidecar keeps arrival
        time, so that old lines read at start do not expire as soon as they are counted.
        `grouping=False` evaluates every event on its own (tests compare the two ways).
        `event_time`: the taps' time is the event's timestamp when it has one, else `now` (replay
        and rule tests); without it, always `now`. `not_after_now` (a running sidecar, whose app
        shares the node's clock): an event time later than `now` is taken as `now`, so a
        mis-parsed stamp cannot carry a detector into the future; lines read late (a backlog after
        a restart) still fall into the windows of when they were written."""
        self.ruleset = ruleset
        self._by_event_time = idle_by_event_time
        self.event_time = event_time
        self._not_after_now = not_after_now
        self.taps = all_taps(ruleset.detectors)
        self._plans = source_plans(ruleset, self.taps, grouping, event_time)

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(self._plans)

    def process(self, batch: LineBatch, now: float) -> Observations:
        """Evaluate every rule of the batch's source over its lines (joined into events)."""
        obs = Observations()
        plan = self._plans.get(batch.source)
        if plan is None or not batch.lines:
            return obs
        bump(obs.lines, batch.source, len(batch.lines))
        events: list[str] = batch.lines
        if plan.joiner is not None:
            events, dropped = plan.joiner.feed(batch.path, batch.lines, now)
            bump(obs.multiline_dropped, batch.source, dropped)
        if events:
            self._evaluate(plan, events, now, obs)
        return obs

    def flush(self, now: float, force: bool = False) -> Observations:
        """Complete multiline events quiet for their source's timeout (every one when forced)."""
        obs = Observations()
        for plan in self._plans.values():
            if plan.joiner is not None and plan.joiner.pending:
                events = plan.joiner.flush(now, force)
                if events:
                    self._evaluate(plan, events, now, obs)
        return obs

    @property
    def pending(self) -> int:
        """Multiline events waiting for more lines."""
        return sum(p.joiner.pending for p in self._plans.values() if p.joiner is not None)

    def pending_state(self) -> dict[str, list[dict[str, Any]]]:
        """The pending multiline events as JSON-able data: {source: [{path, lines, last}]}."""
        return {
            name: plan.joiner.state()
            for name, plan in self._plans.items()
            if plan.joiner is not None and plan.joiner.pending
        }

    def restore_pending(self, state: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
        """Take back `pending_state()` (of this or an earlier rule set: unknown sources are
        ignored, and so are sources that no longer join lines)."""
        for name, entries in state.items():
            plan = self._plans.get(name)
            if plan is not None and plan.joiner is not None:
                plan.joiner.restore(entries)

    def _evaluate(self, plan: SourcePlan, events: list[str], now: float, obs: Observations) -> None:
        if plan.grouped is not None:
            self._evaluate_grouped(plan, plan.grouped, events, now, obs)
            return
        name = plan.source.name
        parse = plan.parser
        rules = plan.rules
        time_field, time_parser = plan.time_field, plan.time_parser
        by_event = self._by_event_time
        tap_time = self.event_time
        cap = self._not_after_now
        # the sinks of the taps fed per match, by rule (mostly none)
        sinks = {rule.name: [TapSink(t) for t in rule.each] for rule in rules if rule.each}
        matches = dict.fromkeys((r.name for r in rules), 0)
        errors = stamp_errors = 0
        latest = obs.latest
        for text in events:
            event = parse(text)
            if event is None:
                errors += 1
                continue
            time, stamped = now, False
            if time_parser is not None:
                raw = event.get(time_field or "")
                if raw is not None:
                    parsed = time_parser(raw)
                    if parsed is None:
                        stamp_errors += 1
                    else:
                        time, stamped = parsed, True
                        if latest is None or parsed > latest:
                            latest = parsed
            for rule in rules:
                if rule.predicate is not None:
                    ev = dict(event) if rule.captures else event
                    if not rule.predicate(ev):
                        continue
                else:
                    ev = event
                matches[rule.name] += 1
                for metric in rule.metrics:
                    metric.observe(obs, ev, time, stamped, time if by_event else now)
                if rule.each:
                    at = now if not tap_time or (cap and time > now) else time
                    for sink in sinks[rule.name]:
                        sink.add(ev, at, text)
        bump(obs.events, name, len(events))
        bump(obs.parse_errors, name, errors)
        bump(obs.timestamp_errors, name, stamp_errors)
        for rule_name, n in matches.items():
            bump(obs.rule_matches, rule_name, n)
        obs.latest = latest
        if any(rule.taps for rule in rules):
            filled = [sink for each in sinks.values() for sink in each]
            wanted: list[Wanted] = []
            for rule in rules:
                if rule.counted is not None and matches[rule.name]:
                    counted = TapSink(rule.counted)
                    counted.add_count(now, matches[rule.name])
                    filled.append(counted)
                    n = min(matches[rule.name], SAMPLES)
                    wanted.append((rule.predicate, rule.captures, n, (counted,)))
            sample_from_end(events, parse, now, wanted)
            collect(obs.taps, filled)

    @staticmethod
    def _evaluate_grouped(
        plan: SourcePlan,
        grouped: Grouped,
        events: list[str],
        now: float,
        obs: Observations,
    ) -> None:
        regex, names, apart = grouped
        all_counts, misses = regex.group_counts(events, (names, *(f for _, f in apart)))
        separate = {rule: i for i, (rule, _) in enumerate(apart, 1)}
        work = [(rule, [TapSink(t) for t in rule.taps]) for rule in plan.rules]
        here = [(rule, [] if rule.name in separate else sinks) for rule, sinks in work]
        matches = dict.fromkeys((r.name for r in plan.rules), 0)
        for key, n in all_counts[0].items():
            event: Event = {k: v for k, v in zip(names, key, strict=True) if v is not None}
            for rule, sinks in here:
                if rule.predicate is not None and not rule.predicate(event):
                    continue
                matches[rule.name] += n
                for metric in rule.metrics:
                    metric.observe_many(obs, event, n, now)
                for sink in sinks:
                    sink.add_many(event, now, n)
        for rule, sinks in work:  # taps counted by fields of their own (see `plans.grouping`)
            i = separate.get(rule.name)
            if i is None or not matches[rule.name]:
                continue
            fields = apart[i - 1][1]
            for key, n in all_counts[i].items():
                event = {k: v for k, v in zip(fields, key, strict=True) if v is not None}
                if rule.predicate is None or rule.predicate(event):
                    for sink in sinks:
                        sink.add_many(event, now, n)
        name = plan.source.name
        bump(obs.events, name, len(events))
        bump(obs.parse_errors, name, misses)
        for rule_name, n in matches.items():
            bump(obs.rule_matches, rule_name, n)
        wanted: list[Wanted] = [
            (rule.predicate, rule.captures, min(matches[rule.name], SAMPLES), sinks)
            for rule, sinks in work
            if sinks and matches[rule.name]
        ]
        if wanted:
            sample_from_end(events, plan.parser, now, wanted)
            collect(obs.taps, (sink for _, sinks in work for sink in sinks))
