"""A small rule file for the rule-test tests, and writing test files next to it."""

from __future__ import annotations

import textwrap
from pathlib import Path

RULES = r"""version: 1
sources:
  - name: app
    paths: [/var/log/app.log]
    format: logfmt
  - name: trace
    paths: [/var/log/trace.log]
    multiline: {start: '^\d', timeout: 2s}
  - name: stamped
    paths: [/var/log/stamped.log]
    format: logfmt
    timestamp: {field: ts, format: rfc3339}
rules:
  - name: requests
    source: app
    match: {status: {exists: true}}
    metrics:
      - counter: requests_total
        labels: [status]
      - histogram: request_seconds
        value: took
        buckets: [0.1, 1]
  - name: queue
    source: app
    match: {depth: {exists: true}}
    metrics:
      - gauge: queue_depth
        value: depth
        expire_after: 1m
  - name: traces
    source: trace
    metrics:
      - counter: trace_events_total
  - name: stamped_lines
    source: stamped
detectors:
  - name: Burst
    type: threshold
    rule: requests
    window: 1m
    group_by: [status]
    condition: {gte: 3}
    for: 10s
    labels: {severity: page}
    annotations: {summary: "{{ value }} x {{ labels.status }}"}
  - {name: StampedBurst, type: threshold, rule: stamped_lines, window: 1m, group_by: [level],
     condition: {gte: 3}, for: 10s}
"""


def write_tests(tmp_path: Path, text: str, rules: str = RULES) -> Path:
    """rules.yaml and t.test.yaml (`text`, dedented) in `tmp_path`; the test file's path."""
    (tmp_path / "rules.yaml").write_text(rules)
    path = tmp_path / "t.test.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def one_test(body: str) -> str:
    """A test file with one test named `t` starting at 2026-01-01T00:00:00Z; `body` holds its
    input/metrics/anomalies keys, indented by four spaces."""
    head = 'rule_files: [rules.yaml]\ntests:\n  - name: t\n    start: "2026-01-01T00:00:00Z"\n'
    return head + textwrap.indent(textwrap.dedent(body), "    ")
