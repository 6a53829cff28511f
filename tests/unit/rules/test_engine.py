from pathlib import Path

from logsidecar.logline import LineBatch
from logsidecar.rules.engine import Engine
from logsidecar.rules.load import load_rules
from logsidecar.rules.observations import Exemplar, Observations

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


def write(tmp_path: Path, rules: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(rules)
    return path


def engine(tmp_path: Path, rules: str = RULES) -> Engine:
    return Engine(load_rules(write(tmp_path, rules)))


def run(
    eng: Engine, source: str, lines: list[str], now: float = 0.0, path: str = "/x"
) -> Observations:
    return eng.process(LineBatch(source, path, lines), now)


def test_counts_labels_and_values_over_a_batch(tmp_path: Path) -> None:
    lines = [
        '1.1.1.1 "GET /a" 503 0.2 upstream=billing',
        '1.1.1.1 "GET /a" 503 0.05 upstream=billing',
        '1.1.1.2 "POST /b" 500 2 upstream=search',
        '1.1.1.3 "GET /healthz" 500 0.1 upstream=billing',
        '1.1.1.4 "GET /c" 200 0.3',
        "garbage that does not parse",
    ]
    obs = run(engine(tmp_path), "access", lines)
    assert {"access": 6} == obs.lines
    assert {"access": 1} == obs.parse_errors
    assert {
        ("http_errors_total", ("503", "billing")): [2.0, 2.0],
        ("http_errors_total", ("500", "search")): [1.0, 1.0],
        ("http_requests_total", ("GET",)): [4.0, 4.0],
        ("http_requests_total", ("POST",)): [1.0, 1.0],
    } == obs.counters
    assert {("http_error_seconds", ()): [0.2, 0.05, 2.0]} == obs.histograms
    assert {("last_took", ()): [1.0, 0.3, 5.0]} == obs.gauges
    assert {"http_5xx": 3, "requests": 5} == obs.rule_matches


def test_captures_of_one_rule_do_not_leak_into_another(tmp_path: Path) -> None:
    # `requests` runs after `http_5xx` captured `upstream`; its labels come from its own event
    obs = run(engine(tmp_path), "access", ['1.1.1.1 "GET /a" 503 0.2 upstream=billing'])
    assert ("http_requests_total", ("GET",)) in obs.counters


def test_rules_apply_only_to_their_source(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    obs = run(eng, "app", ["x ERROR y", "fine", "ERROR"])
    assert {("app_errors_total", ()): [2.0, 2.0]} == obs.counters
    assert {} == obs.parse_errors
    assert {} == run(eng, "nosuch", ["ERROR"]).lines


MULTILINE = r"""
version: 1
sources:
  - name: py
    paths: ["/x/*.log"]
    format: regex
    pattern: '^(?P<ts>\S+) (?P<level>[A-Z]+) '
    multiline: {start: '^\d{4}-', max_lines: 3, timeout: 2s}
rules:
  - name: tracebacks
    match: {line: {regex: '\n(?P<exc>[A-Za-z.]+Error):'}}
    metrics:
      - counter: exceptions_total
        labels: [exc]
  - name: events
    metrics:
      - counter: events_total
        labels: [level]
"""
TRACE = [
    "2026-01-01T00:00:00Z ERROR boom",
    "Traceback (most recent call last):",
    '  File "x.py", line 1, in <module>',
    "ValueError: bad",
]


def test_multiline_events_are_joined_per_file_and_completed_by_the_next_start(
    tmp_path: Path,
) -> None:
    eng = engine(tmp_path, MULTILINE)
    obs = run(eng, "py", TRACE[:2], path="/x/a.log")
    assert {} == obs.counters  # still pending: more lines may come
    obs = run(eng, "py", ["2026-01-01T00:00:01Z INFO other file"], path="/x/b.log")
    assert {} == obs.counters  # b.log has its own pending event; a.log's is untouched
    assert 2 == eng.pending
    obs = run(eng, "py", [*TRACE[2:], "2026-01-01T00:00:02Z INFO next"], path="/x/a.log")
    # a.log: the traceback had 4 lines, max_lines 3: the last is dropped and counted
    assert {"py": 1} == obs.multiline_dropped
    assert {("events_total", ("ERROR",)): [1.0, 1.0]} == obs.counters


def test_a_quiet_pending_event_is_flushed_after_its_timeout(tmp_path: Path) -> None:
    eng = engine(tmp_path, MULTILINE.replace("max_lines: 3", "max_lines: 10"))
    run(eng, "py", TRACE, now=100.0)
    assert 1 == eng.pending
    assert not eng.flush(101.9)
    obs = eng.flush(102.0)
    assert {
        ("exceptions_total", ("ValueError",)): [1.0, 1.0],
        ("events_total", ("ERROR",)): [1.0, 1.0],
    } == obs.counters
    assert {"py": 1} == obs.events
    assert 0 == eng.pending


def test_pending_events_round_trip_as_plain_data(tmp_path: Path) -> None:
    import json

    eng = engine(tmp_path, MULTILINE.replace("max_lines: 3", "max_lines: 10"))
    run(eng, "py", TRACE[:3], now=5.0, path="/x/a.log")
    state = json.loads(json.dumps(eng.pending_state()))
    assert {"py": [{"path": "/x/a.log", "lines": TRACE[:3], "last": 5.0}]} == state
    fresh = engine(tmp_path, MULTILINE.replace("max_lines: 3", "max_lines: 10"))
    fresh.restore_pending({**state, "gone": [{"path": "/y", "lines": ["z"], "last": 1.0}]})
    obs = run(fresh, "py", [TRACE[3]], now=6.0, path="/x/a.log")
    assert {} == obs.counters
    obs = fresh.flush(0.0, force=True)
    assert ("exceptions_total", ("ValueError",)) in obs.counters


STAMPED = r"""
version: 1
sources:
  - name: app
    paths: ["/x/*.log"]
    format: json
    timestamp: {field: ts, format: unix_ms}
rules:
  - name: reqs
    metrics:
      - counter: reqs_total
        exemplar: trace_id
      - histogram: req_seconds
        value: took
        buckets: [0.1, 1]
        exemplar: trace_id
      - gauge: inflight
        value: n
        labels: [pod]
        expire_after: 1m
"""


def test_event_time_exemplars_and_expiry_bookkeeping(tmp_path: Path) -> None:
    eng = Engine(load_rules(write(tmp_path, STAMPED)), idle_by_event_time=True)
    lines = [
        '{"ts": 1700000000000, "trace_id": "t1", "took": 0.05, "n": 3, "pod": "a"}',
        '{"ts": 1700000001500, "trace_id": "t2", "took": 0.5, "n": 4, "pod": "a"}',
        '{"ts": "yesterday", "took": 0.07, "n": 5, "pod": "b"}',
        "not json",
    ]
    obs = run(eng, "app", lines, now=42.0)
    assert {"app": 1} == obs.timestamp_errors
    assert {"app": 1} == obs.parse_errors
    assert {
        ("reqs_total", ()): {0: Exemplar("trace_id", "t2", 1.0, 1700000001.5)},
        ("req_seconds", ()): {
            0: Exemplar("trace_id", "t1", 0.05, 1700000000.0),
            1: Exemplar("trace_id", "t2", 0.5, 1700000001.5),
        },
    } == obs.exemplars
    assert {("inflight", ("a",)): 1700000001.5, ("inflight", ("b",)): 42.0} == obs.seen
    assert 1700000001.5 == obs.latest


def test_non_numeric_and_negative_values_are_value_errors(tmp_path: Path) -> None:
    rules = STAMPED.replace("      - counter: reqs_total\n        exemplar: trace_id\n",
                            "      - counter: bytes_total\n        value: took\n")  # fmt: skip
    obs = run(engine(tmp_path, rules), "app", ['{"took": -1, "n": "x"}', '{"took": "NaN"}'])
    assert {"bytes_total": 2, "req_seconds": 1, "inflight": 2} == obs.value_errors


def test_a_running_sidecar_marks_series_idle_by_arrival_time(tmp_path: Path) -> None:
    obs = run(engine(tmp_path, STAMPED), "app", ['{"ts": 1000, "n": 3, "pod": "a"}'], now=42.0)
    assert {("inflight", ("a",)): 42.0} == obs.seen
