"""The engine's evaluation plan for each source: its parser, rules, taps and shortcuts.

Built once per rule set (`source_plans`), read by `rules.engine` for every batch. Besides the
compiled pieces it decides the two shortcuts: `grouping` (a regex source's batch reduced to a
count per combination of named groups) and, per rule, which detector taps are fed per match and
which one is just the rule's match count (`split_taps`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logsidecar.rules.conditions import Predicate
from logsidecar.rules.metricplan import MetricPlan
from logsidecar.rules.model import Source
from logsidecar.rules.multiline import Joiner
from logsidecar.rules.parse import Parser, make_parser
from logsidecar.rules.regex import Regex, compile_pattern
from logsidecar.rules.ruleset import RuleSet
from logsidecar.rules.taps import Tap
from logsidecar.rules.timestamps import TimeParser, make_time_parser


@dataclass(frozen=True)
class RulePlan:
    name: str
    predicate: Predicate | None
    captures: bool
    metrics: tuple[MetricPlan, ...]
    taps: tuple[Tap, ...] = ()  # the detectors' taps on this rule
    each: tuple[Tap, ...] = ()  # those fed per match on the per-event path
    counted: Tap | None = None  # the one fed by the match count there (no group, no field)


@dataclass(frozen=True)
class SourcePlan:
    source: Source
    parser: Parser
    rules: tuple[RulePlan, ...]
    joiner: Joiner | None
    time_field: str | None
    time_parser: TimeParser | None
    grouped: Grouped | None = None  # see grouping


def fields_read(block: object) -> set[str]:
    """The fields a `match` block looks at."""
    fields: set[str] = set()
    if isinstance(block, Mapping):
        for key, spec in block.items():
            if key == "any" and isinstance(spec, list):
                for item in spec:
                    fields |= fields_read(item)
            elif key == "not":
                fields |= fields_read(spec)
            else:
                fields.add(str(key))
    return fields


# a grouped source: its pattern, the fields the batch is counted by, and for each rule whose
# taps read other fields, the rule's name and the fields its taps' matches are counted by
Grouped = tuple[Regex, tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]


def grouping(source: Source, rules: tuple[RulePlan, ...], raw: dict[str, Any]) -> Grouped | None:
    """For a regex source whose rules look only at the pattern's named groups and count (or move
    gauges) by them, events with equal groups are alike: the batch is reduced to a count per
    distinct combination in C, and the rules run once per combination instead of once per line.
    None when a rule needs each event itself (`line`, captures, values, exemplars, timestamps).
    A rule's taps that read fields the rules do not (often many distinct values, like a client
    address for a cardinality) get their own count of the same matches, by the fields of the
    rule's `match` and theirs, so those values do not multiply the combinations of every rule.
    """
    if source.format != "regex" or source.timestamp is not None or not source.pattern:
        return None
    regex = compile_pattern(source.pattern)
    groups = set(regex.groupindex)
    needed: set[str] = set()
    tapped: dict[str, set[str]] = {}
    for rule in rules:
        if rule.captures or not all(m.weightable for m in rule.metrics):
            return None
        needed |= fields_read(raw.get(rule.name))
        for metric in rule.metrics:
            needed |= set(metric.fields)
        for tap in rule.taps:
            fields = tapped.setdefault(rule.name, set())
            fields |= set(tap.group) | ({tap.field} if tap.field is not None else set())
    apart = tuple(
        (name, tuple(sorted(fields | fields_read(raw.get(name)))))
        for name, fields in tapped.items()
        if not fields <= needed
    )
    if not (needed | {f for _, fields in apart for f in fields}) <= groups:
        return None  # `line`, or fields the pattern does not have
    return regex, tuple(sorted(needed)), apart


def joiner(source: Source) -> Joiner | None:
    if source.multiline is None:
        return None
    spec = source.multiline
    return Joiner(compile_pattern(spec.start), spec.max_lines, spec.timeout)


def split_taps(taps: tuple[Tap, ...], one_time: bool) -> tuple[tuple[Tap, ...], Tap | None]:
    """The taps fed per match, and the one read from the match count (when the batch's events
    share one time, a tap with no group and no field is just the number of matches)."""
    counted = next((t for t in taps if not t.group and t.field is None), None) if one_time else None
    return tuple(t for t in taps if t is not counted), counted


def source_plans(
    ruleset: RuleSet, taps: tuple[Tap, ...], group: bool, event_time: bool
) -> dict[str, SourcePlan]:
    """A plan per source. `group`: take the grouped path where it applies; `event_time`: taps
    are timed by the events' timestamps (so on a source with timestamps, no tap is counted)."""
    by_rule: dict[str, tuple[Tap, ...]] = {}
    for tap in taps:
        by_rule[tap.rule] = (*by_rule.get(tap.rule, ()), tap)
    matches = {cr.rule.name: cr.rule.match for cr in ruleset.rules}
    plans: dict[str, SourcePlan] = {}
    for source in ruleset.sources:
        stamp = source.timestamp
        one_time = not (event_time and stamp is not None)
        rules = tuple(
            RulePlan(
                cr.rule.name,
                cr.predicate,
                cr.captures,
                tuple(MetricPlan(m) for m in cr.rule.metrics),
                by_rule.get(cr.rule.name, ()),
                *split_taps(by_rule.get(cr.rule.name, ()), one_time),
            )
            for cr in ruleset.rules
            if cr.rule.source in (None, source.name)
        )
        plans[source.name] = SourcePlan(
            source,
            make_parser(source),
            rules,
            joiner(source),
            stamp.field if stamp else None,
            make_time_parser(stamp.format) if stamp else None,
            grouping(source, rules, matches) if group else None,
        )
    return plans
