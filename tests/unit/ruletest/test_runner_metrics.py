"""Metric assertions in virtual time: what the store holds after the lines that arrived by `at`."""

from __future__ import annotations

from pathlib import Path

from logsidecar.ruletest.diff import MetricFailure, SeriesDiff
from logsidecar.ruletest.load import load_suite
from logsidecar.ruletest.plan import Where
from logsidecar.ruletest.runner import CaseResult, run_suite
from tests.unit.ruletest.files import one_test, write_tests


def run(tmp_path: Path, body: str) -> CaseResult:
    (result,) = run_suite(load_suite(write_tests(tmp_path, one_test(body))))
    return result


def diffs(result: CaseResult) -> list[tuple[float, list[SeriesDiff]]]:
    out = []
    for failure in result.failures:
        assert isinstance(failure, MetricFailure)
        out.append((failure.at, list(failure.diffs)))
    return out


def test_counters_histograms_and_self_metrics_pass(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        input:
          - source: app
            lines:
              - {at: 5s, line: "status=500 took=0.05\\nstatus=500 took=2\\nnot=logfmt=x"}
            generate: [{start: 10s, every: 1s, count: 3, line: 'status=200 took=0.{i}'}]
        metrics:
          - at: 12s
            expect:
              'requests_total{status="500"}': 2
              'requests_total{status="200"}': 3
              'request_seconds_bucket{le="0.1"}': 3
              'request_seconds_bucket{le="1"}': 4
              'request_seconds_bucket{le="+Inf"}': 5
              'request_seconds_sum': 2.35
              'request_seconds_count': 5
              'logsidecar_lines_total{source="app"}': 6
              'logsidecar_rule_matches_total{rule="requests"}': 5
            absent: ['requests_total{status="404"}', 'queue_depth']
        """,
    )
    assert CaseResult("t", ()) == result


def test_an_assertion_sees_the_lines_of_its_instant_and_not_later_ones(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        input:
          - source: app
            generate: [{start: 10s, every: 10s, count: 3, line: status=200}]
        metrics:
          - {at: 9s, absent: ['requests_total{status="200"}']}
          - {at: 10s, expect: {'requests_total{status="200"}': 1}}
          - {at: 29s, expect: {'requests_total{status="200"}': 2}}
          - {at: 1h, expect: {'requests_total{status="200"}': 3}}
        """,
    )
    assert CaseResult("t", ()) == result


def test_failures_list_each_differing_series(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        input:
          - source: app
            lines: [{at: 1s, line: status=500}, {at: 2s, line: status=404}]
        metrics:
          - at: 1m
            expect:
              'requests_total{status="500"}': 2
              'requests_total{status="404"}': 1
              'requests_total{status="200"}': 0
            absent: ['requests_total{status="404"}', 'requests_total{status="302"}']
          - {at: 2m, expect: {'requests_total{status="500"}': 1}}
        """,
    )
    assert [
        (
            60.0,
            [
                SeriesDiff('requests_total{status="500"}', 2.0, 1.0),
                SeriesDiff('requests_total{status="200"}', 0.0, None),
                SeriesDiff('requests_total{status="404"}', None, 1.0),
            ],
        )
    ] == diffs(result)
    assert Where(str(tmp_path / "t.test.yaml"), 9, 9) == result.failures[0].where


def test_a_multiline_event_completes_when_its_source_times_out(tmp_path: Path) -> None:
    # trace: a line starting with a digit starts an event; timeout 2s
    result = run(
        tmp_path,
        """\
        input:
          - source: trace
            lines:
              - {at: 1s, line: "1 first\\n  more"}
              - {at: 2s, line: "  still the first"}
              - {at: 10s, line: "2 second"}
              - {at: 11s, line: "  its continuation"}
              - {at: 14s, line: "  late: an event of its own"}
        metrics:
          - {at: 3.9s, absent: [trace_events_total]}
          - {at: 4s, expect: {trace_events_total: 1}}
          - {at: 12.9s, expect: {trace_events_total: 1}}
          - {at: 13s, expect: {trace_events_total: 2}}
          - {at: 15s, expect: {trace_events_total: 2, 'logsidecar_lines_total{source="trace"}': 6}}
          - {at: 16s, expect: {trace_events_total: 3}}
        """,
    )
    assert CaseResult("t", ()) == result


def test_series_past_expire_after_are_gone_at_an_assertion(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        input:
          - source: app
            lines: [{at: 0s, line: depth=4}, {at: 30s, line: depth=7}]
        metrics:
          - {at: 89s, expect: {queue_depth: 7}}
          - {at: 90s, absent: [queue_depth]}
        """,
    )
    assert CaseResult("t", ()) == result


def test_each_test_starts_from_nothing(tmp_path: Path) -> None:
    text = one_test(
        """\
        input: [{source: app, lines: [{at: 1s, line: status=200}]}]
        metrics: [{at: 1s, expect: {'requests_total{status="200"}': 1}}]
        """
    )
    text += text.split("tests:\n", 1)[1].replace("name: t", "name: again")
    results = run_suite(load_suite(write_tests(tmp_path, text)))
    assert [CaseResult("t", ()), CaseResult("again", ())] == results
