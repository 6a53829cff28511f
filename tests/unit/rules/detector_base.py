"""The rule file the detector error tests edit: one detector of each type, every key set."""

from pathlib import Path

import pytest

from logsidecar.errors import RuleError
from logsidecar.rules.load import load_rules

BASE = r"""version: 1
sources:
  - name: app
    paths: ["/var/log/app/*.log"]
    format: regex
    pattern: '^(?P<status>\d+) (?P<user>\S+) (?P<took>[\d.]+)'
rules:
  - name: errors
    source: app
  - name: all
    source: app
detectors:
  - name: Burst
    type: threshold
    rule: errors
    window: 5m
    group_by: [user]
    condition: {gte: 10}
    for: 1m
    keep_firing_for: 5m
    labels: {severity: page}
    annotations: {summary: "{{ value }} by {{ labels.user }} ({{ labels.severity }})"}
    max_groups: 100
  - name: Slow
    type: threshold
    rule: errors
    window: 1m
    aggregate: avg
    field: took
    condition: {gt: 2}
  - name: Share
    type: ratio
    numerator: errors
    denominator: all
    window: 5m
    min_denominator: 10
    condition: {gt: 0.05}
  - name: Jump
    type: spike
    rule: errors
    window: 1m
    baseline: 1h
    threshold: 4
    method: zscore
    direction: up
    min_current: 5
  - name: Quiet
    type: absence
    rule: all
    window: 3m
  - name: NewUser
    type: new_value
    rule: all
    field: user
    learn_for: 30m
    max_tracked: 1000
  - name: Users
    type: cardinality
    rule: errors
    field: user
    window: 10m
    condition: {gt: 20}
  - name: NewKind
    type: new_template
    source: app
    learn_for: 1h
    min_count: 3
    window: 10m
  - name: Surge
    type: template_rate
    source: app
    window: 5m
    baseline: 1h
    threshold: 10
    method: ratio
    direction: both
    min_current: 20
"""
TYPES = "threshold, ratio, spike, absence, new_value, cardinality, new_template, template_rate"
COMPARISON = (
    "`condition` is one comparison with a number, e.g. {gt: 20} "
    "(operators: gt, gte, lt, lte, eq, ne)"
)
NOT_A_DURATION = "(write e.g. 30s, 5m, 1h30m)"


def edit(text: str, detector: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new` inside one detector's block (where it occurs once)."""
    start = text.index(f"  - name: {detector}\n")
    end = text.find("  - name: ", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    assert 1 == block.count(old), (detector, old)
    return text[:start] + block.replace(old, new) + text[end:]


def check(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RuleError) as caught:
        load_rules(path)
    return [str(p).removeprefix(str(tmp_path) + "/") for p in caught.value.problems]


def drop(line: str) -> tuple[str, str]:
    return (f"    {line}\n", "")
