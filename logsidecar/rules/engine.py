"""Pure rule evaluation: batches of lines in, observations out.

The engine does no I/O, holds no prometheus objects and reads no clock: `now` is passed in. It
is fed a whole batch of lines of one file (a `LineBatch`), joins multiline events per file, parses
them, matches every rule of the batch's source and returns what to change in the metric store,
aggregated over the batch, so the store is touched once per batch and series, not once per line.

Multiline events still pending at the end of a batch wait for their next line; `flush(now)`
completes those that have been quiet for the source's `timeout`. The pending events are plain
data (`pending_state` / `restore_pending`), for checkpoints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from logsidecar.logline import LineBatch
from logsidecar.rules.conditions import Predicate
from logsidecar.rules.metricplan import MetricPlan
from logsidecar.rules.model import Source
from logsidecar.rules.multiline import Joiner
from logsidecar.rules.observations import Observations, bump
from logsidecar.rules.parse import Event, Parser, make_parser
from logsidecar.rules.regex import Regex, compile_pattern
from logsidecar.rules.ruleset import RuleSet
from logsidecar.rules.timestamps import TimeParser, make_time_parser


@dataclass(frozen=True)
class _RulePlan:
    name: str
    predicate: Predicate | None
    captures: bool
    metrics: tuple[MetricPlan, ...]


@dataclass(frozen=True)
class _SourcePlan:
    source: Source
    parser: Parser
    rules: tuple[_RulePlan, ...]
    joiner: Joiner | None
    time_field: str | None
    time_parser: TimeParser | None
    grouped: tuple[Regex, tuple[str, ...]] | None = None  # see _grouping


def _fields_read(block: object) -> set[str]:
    """The fields a `match` block looks at."""
    fields: set[str] = set()
    if isinstance(block, Mapping):
        for key, spec in block.items():
            if key == "any" and isinstance(spec, list):
                for item in spec:
                    fields |= _fields_read(item)
            elif key == "not":
                fields |= _fields_read(spec)
            else:
                fields.add(str(key))
    return fields


def _grouping(
    source: Source, rules: tuple[_RulePlan, ...], raw: dict[str, Any]
) -> tuple[Regex, tuple[str, ...]] | None:
    """For a regex source whose rules look only at the pattern's named groups and count (or move
    gauges) by them, events with equal groups are alike: the batch is reduced to a count per
    distinct combination in C, and the rules run once per combination instead of once per line.
    None when a rule needs each event itself (`line`, captures, values, exemplars, timestamps).
    """
    if source.format != "regex" or source.timestamp is not None or not source.pattern:
        return None
    regex = compile_pattern(source.pattern)
    groups = set(regex.groupindex)
    needed: set[str] = set()
    for rule in rules:
        if rule.captures or not all(m.weightable for m in rule.metrics):
            return None
        needed |= _fields_read(raw.get(rule.name))
        for metric in rule.metrics:
            needed |= set(metric.fields)
    if not needed <= groups:
        return None  # `line`, or fields the pattern does not have
    return regex, tuple(sorted(needed))


def _joiner(source: Source) -> Joiner | None:
    if source.multiline is None:
        return None
    spec = source.multiline
    return Joiner(compile_pattern(spec.start), spec.max_lines, spec.timeout)


class Engine:
    """Compiled evaluation plan for one RuleSet, plus the multiline events it holds."""

    def __init__(
        self, ruleset: RuleSet, idle_by_event_time: bool = False, grouping: bool = True
    ) -> None:
        """`idle_by_event_time`: a series' last update (for `expire_after`) is the event's time
        rather than its arrival (`now`): for replays of old logs. A running sidecar keeps arrival
        time, so that old lines read at start do not expire as soon as they are counted.
        `grouping=False` evaluates every event on its own (tests compare the two ways)."""
        self.ruleset = ruleset
        self._by_event_time = idle_by_event_time
        matches = {cr.rule.name: cr.rule.match for cr in ruleset.rules}
        plans: dict[str, _SourcePlan] = {}
        for source in ruleset.sources:
            rules = tuple(
                _RulePlan(
                    cr.rule.name,
                    cr.predicate,
                    cr.captures,
                    tuple(MetricPlan(m) for m in cr.rule.metrics),
                )
                for cr in ruleset.rules
                if cr.rule.source in (None, source.name)
            )
            stamp = source.timestamp
            plans[source.name] = _SourcePlan(
                source,
                make_parser(source),
                rules,
                _joiner(source),
                stamp.field if stamp else None,
                make_time_parser(stamp.format) if stamp else None,
                _grouping(source, rules, matches) if grouping else None,
            )
        self._plans = plans

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

    def _evaluate(
        self, plan: _SourcePlan, events: list[str], now: float, obs: Observations
    ) -> None:
        if plan.grouped is not None:
            self._evaluate_grouped(plan, plan.grouped, events, now, obs)
            return
        name = plan.source.name
        parse = plan.parser
        rules = plan.rules
        time_field, time_parser = plan.time_field, plan.time_parser
        by_event = self._by_event_time
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
        bump(obs.events, name, len(events))
        bump(obs.parse_errors, name, errors)
        bump(obs.timestamp_errors, name, stamp_errors)
        for rule_name, n in matches.items():
            bump(obs.rule_matches, rule_name, n)
        obs.latest = latest

    @staticmethod
    def _evaluate_grouped(
        plan: _SourcePlan,
        grouped: tuple[Regex, tuple[str, ...]],
        events: list[str],
        now: float,
        obs: Observations,
    ) -> None:
        regex, names = grouped
        counts, misses = regex.group_counts(events, names)
        matches = dict.fromkeys((r.name for r in plan.rules), 0)
        for key, n in counts.items():
            event: Event = {k: v for k, v in zip(names, key, strict=True) if v is not None}
            for rule in plan.rules:
                if rule.predicate is not None and not rule.predicate(event):
                    continue
                matches[rule.name] += n
                for metric in rule.metrics:
                    metric.observe_many(obs, event, n, now)
        name = plan.source.name
        bump(obs.events, name, len(events))
        bump(obs.parse_errors, name, misses)
        for rule_name, n in matches.items():
            bump(obs.rule_matches, rule_name, n)
