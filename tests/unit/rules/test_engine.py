from pathlib import Path

from logsidecar.rules.engine import Engine
from logsidecar.rules.load import load_rules

RULES = r"""
version: 1
sources:
  - name: access
    paths: ["/x/access.log"]
    format: regex
    pattern: '^(?P<ip>\S+) "(?P<method>\w+) (?P<path>\S+)" (?P<status>\d{3}) (?P<took>[\d.]+)'
  - name: app
    paths: ["/x/app.log"]
lists:
  health: [/healthz]
rules:
  - name: http_5xx
    source: access
    match:
      status: {gte: 500}
      path: {not_in: $health}
      line: {regex: 'upstream=(?P<upstream>\S+)'}
    metrics:
      - counter: http_errors_total
        labels: [status, upstream]
      - histogram: http_error_seconds
        value: took
        buckets: [0.1, 1]
  - name: requests
    source: access
    metrics:
      - counter: http_requests_total
        labels: {verb: method}
      - gauge: last_took
        value: took
  - name: app_errors
    source: app
    match: {line: {contains: ERROR}}
    metrics:
      - counter: app_errors_total
"""


def engine(tmp_path: Path) -> Engine:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return Engine(load_rules(path))


def test_counts_labels_and_values_over_a_batch(tmp_path: Path) -> None:
    lines = [
        '1.1.1.1 "GET /a" 503 0.2 upstream=billing',
        '1.1.1.1 "GET /a" 503 0.05 upstream=billing',
        '1.1.1.2 "POST /b" 500 2 upstream=search',
        '1.1.1.3 "GET /healthz" 500 0.1 upstream=billing',
        '1.1.1.4 "GET /c" 200 0.3',
        "garbage that does not parse",
    ]
    obs = engine(tmp_path).process("access", lines)
    assert 6 == obs.lines
    assert 1 == obs.parse_errors
    assert {
        ("http_errors_total", ("503", "billing")): 2.0,
        ("http_errors_total", ("500", "search")): 1.0,
        ("http_requests_total", ("GET",)): 4.0,
        ("http_requests_total", ("POST",)): 1.0,
    } == obs.counters
    assert {("http_error_seconds", ()): [0.2, 0.05, 2.0]} == obs.histograms
    assert {("last_took", ()): (True, 0.3)} == obs.gauges
    assert {"http_5xx": 3, "requests": 5} == obs.rule_matches


def test_captures_of_one_rule_do_not_leak_into_another(tmp_path: Path) -> None:
    # `requests` runs after `http_5xx` captured `upstream`; its labels come from its own event
    obs = engine(tmp_path).process("access", ['1.1.1.1 "GET /a" 503 0.2 upstream=billing'])
    assert ("http_requests_total", ("GET",)) in obs.counters


def test_rules_apply_only_to_their_source(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    obs = eng.process("app", ["x ERROR y", "fine", "ERROR"])
    assert {("app_errors_total", ()): 2.0} == obs.counters
    assert 0 == obs.parse_errors
    assert 0 == eng.process("nosuch", ["ERROR"]).lines
