"""Pure rule evaluation: batches of lines in, observations out.

The engine does no I/O, holds no prometheus objects and reads no clock. It is fed a whole batch
of lines of one source and returns what to change in the metric store, aggregated over the batch,
so the store is touched once per batch instead of once per line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from logsidecar.rules.conditions import Predicate, as_number, as_text
from logsidecar.rules.load import RuleSet
from logsidecar.rules.model import Metric, Source
from logsidecar.rules.parse import Event, Parser, make_parser

SeriesKey = tuple[str, tuple[str, ...]]  # metric name, label values in the metric's label order


@dataclass
class Observations:
    """What one batch changes. Counters and histograms add; gauges are set or moved."""

    counters: dict[SeriesKey, float] = field(default_factory=dict)
    gauges: dict[SeriesKey, tuple[bool, float]] = field(default_factory=dict)  # (is_set, value)
    histograms: dict[SeriesKey, list[float]] = field(default_factory=dict)
    rule_matches: dict[str, int] = field(default_factory=dict)
    lines: int = 0
    parse_errors: int = 0
    value_errors: dict[str, int] = field(default_factory=dict)  # metric -> non-numeric values


@dataclass(frozen=True)
class _MetricPlan:
    name: str
    kind: str
    fields: tuple[str, ...]  # label fields, in label order
    value: str | None
    action: str | None

    @classmethod
    def of(cls, metric: Metric) -> _MetricPlan:
        return cls(
            metric.name,
            metric.kind,
            tuple(metric.label_map.values()),
            metric.value,
            metric.action,
        )


@dataclass(frozen=True)
class _RulePlan:
    name: str
    predicate: Predicate | None
    captures: bool
    metrics: tuple[_MetricPlan, ...]


@dataclass(frozen=True)
class _SourcePlan:
    source: Source
    parser: Parser
    raw: bool
    rules: tuple[_RulePlan, ...]


class Engine:
    """Compiled evaluation plan for one RuleSet."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        plans: dict[str, _SourcePlan] = {}
        for source in ruleset.sources:
            rules = tuple(
                _RulePlan(
                    cr.rule.name,
                    cr.predicate,
                    cr.captures,
                    tuple(_MetricPlan.of(m) for m in cr.rule.metrics),
                )
                for cr in ruleset.rules
                if cr.rule.source in (None, source.name)
            )
            plans[source.name] = _SourcePlan(
                source, make_parser(source), source.format == "raw", rules
            )
        self._plans = plans

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(self._plans)

    def process(self, source: str, lines: Iterable[str]) -> Observations:
        """Evaluate every rule of `source` over `lines`."""
        obs = Observations()
        plan = self._plans.get(source)
        if plan is None:
            return obs
        parse = plan.parser
        rules = plan.rules
        matches = dict.fromkeys((r.name for r in rules), 0)
        count = 0
        errors = 0
        for line in lines:
            count += 1
            event = parse(line)
            if event is None:
                errors += 1
                continue
            for rule in rules:
                if rule.predicate is not None:
                    ev = dict(event) if rule.captures else event
                    if not rule.predicate(ev):
                        continue
                else:
                    ev = event
                matches[rule.name] += 1
                for metric in rule.metrics:
                    _observe(obs, metric, ev)
        obs.lines = count
        obs.parse_errors = errors
        obs.rule_matches = {k: v for k, v in matches.items() if v}
        return obs


def _label_values(metric: _MetricPlan, event: Event) -> tuple[str, ...]:
    values = []
    for name in metric.fields:
        value: Any = event.get(name)
        values.append("" if value is None else as_text(value))
    return tuple(values)


def _observe(obs: Observations, metric: _MetricPlan, event: Event) -> None:
    key = (metric.name, _label_values(metric, event))
    amount = 1.0
    if metric.value is not None:
        number = as_number(event.get(metric.value))
        if number is None:
            obs.value_errors[metric.name] = obs.value_errors.get(metric.name, 0) + 1
            return
        amount = number
    if metric.kind == "counter":
        if amount < 0:
            obs.value_errors[metric.name] = obs.value_errors.get(metric.name, 0) + 1
            return
        obs.counters[key] = obs.counters.get(key, 0.0) + amount
    elif metric.kind == "histogram":
        obs.histograms.setdefault(key, []).append(amount)
    else:
        action = metric.action or "set"
        if action == "set":
            obs.gauges[key] = (True, amount)
        else:
            delta = amount if action == "inc" else -amount
            is_set, current = obs.gauges.get(key, (False, 0.0))
            obs.gauges[key] = (is_set, current + delta)
