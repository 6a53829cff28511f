"""The grouped evaluation (a count per distinct field combination) equals evaluating each event."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from logsidecar.logline import LineBatch
from logsidecar.metrics.defs import rule_metric_defs
from logsidecar.metrics.store import MetricStore
from logsidecar.rules.engine import Engine
from logsidecar.rules.load import parse_rule_texts
from logsidecar.rules.ruleset import RuleSet

RULES = r"""
version: 1
sources:
  - name: web
    paths: ["/x/*.log"]
    format: regex
    pattern: '^(?P<method>[A-Z]+) (?P<status>\d+)(?: (?P<zone>[a-z]+))?$'
lists:
  bad: [500, 503]
rules:
  - name: all
    metrics:
      - counter: requests_total
        labels: [method, status]
        max_series: 6
  - name: errors
    match: {any: [{status: {in: $bad}}, {status: {gte: 900}}], not: {method: GET}}
    metrics:
      - counter: errors_total
        labels: {where: zone}
      - gauge: error_balance
        action: inc
  - name: gets
    match: {method: {eq: GET}, zone: {exists: true}}
    metrics:
      - gauge: error_balance
        action: dec
"""

line = st.builds(
    lambda m, s, z: f"{m} {s}" + (f" {z}" if z else ""),
    st.sampled_from(["GET", "POST", "PUT", "get"]),
    st.sampled_from(["200", "404", "500", "503", "950", "x"]),
    st.sampled_from([None, "eu", "us"]),
)


def ruleset() -> RuleSet:
    return parse_rule_texts([("rules.yaml", RULES)], "d")


def run(grouping: bool, batches: list[list[str]]) -> dict[str, object]:
    rules = ruleset()
    engine = Engine(rules, grouping=grouping)
    store = MetricStore(rule_metric_defs(rules))
    for lines in batches:
        store.apply(engine.process(LineBatch("web", "/x/a.log", lines), 0.0))
    return {name: series for name, series in store.snapshot().series.items()}


def test_the_test_rules_take_the_grouped_path() -> None:
    plans = Engine(ruleset())._plans
    assert ("method", "status", "zone") == plans["web"].grouped[1]  # type: ignore[index]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(line, max_size=40), max_size=6))
def test_grouped_equals_one_event_at_a_time(batches: list[list[str]]) -> None:
    assert run(False, batches) == run(True, batches)
