"""Anomaly assertions: the detectors' firing alerts at `at`, by labels (and annotations)."""

from __future__ import annotations

from pathlib import Path

from logsidecar.ruletest.diff import AnomalyFailure
from logsidecar.ruletest.load import load_suite
from logsidecar.ruletest.plan import FiringAlert, Where
from logsidecar.ruletest.runner import CaseResult, run_suite
from tests.unit.ruletest.files import one_test, write_tests

# Burst: threshold on `requests`, window 1m, group_by [status], gte 3, for 10s, severity=page
THREE_500 = """\
input:
  - source: app
    generate: [{start: 1s, every: 1s, count: 3, line: status=500}]
"""
FIRING = '{labels: {status: "500", severity: page}}'


def run(tmp_path: Path, body: str) -> CaseResult:
    (result,) = run_suite(load_suite(write_tests(tmp_path, one_test(body))))
    return result


def test_pending_is_not_firing_then_it_fires_then_resolves(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        THREE_500
        + f"""\
anomalies:
  - {{at: 2s, detector: Burst, firing: []}}
  - {{at: 12s, detector: Burst, firing: []}}
  - {{at: 13s, detector: Burst, firing: [{FIRING}]}}
  - {{at: 60s, detector: Burst, firing: [{{labels: {{status: 500, severity: page}},
      annotations: {{summary: "3 x 500"}}}}]}}
  - {{at: 61s, detector: Burst, firing: []}}
""",
    )
    assert CaseResult("t", ()) == result


def test_a_wrong_expectation_fails_with_what_fires_and_what_is_pending(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        THREE_500
        + """\
    lines: [{at: 5s, line: status=404}]
anomalies:
  - {at: 12s, detector: Burst, firing: [{labels: {status: "500", severity: page}}]}
  - {at: 14s, detector: Burst, firing: [{labels: {status: "404", severity: page}}]}
  - {at: 15s, detector: Burst, firing: [{labels: {status: "500", severity: page},
     annotations: {summary: "4 x 500"}}]}
""",
    )
    page500 = (("severity", "page"), ("status", "500"))
    file = str(tmp_path / "t.test.yaml")
    assert (
        AnomalyFailure(
            Where(file, 10, 9),
            "t",
            12.0,
            "Burst",
            (FiringAlert(page500),),
            (),
            ((page500, 3.0),),
            (((("status", "500"),), 3.0), ((("status", "404"),), 1.0)),
        ),
        AnomalyFailure(
            Where(file, 11, 9),
            "t",
            14.0,
            "Burst",
            (FiringAlert((("severity", "page"), ("status", "404"))),),
            (FiringAlert(page500),),
            (),
            (((("status", "500"),), 3.0), ((("status", "404"),), 1.0)),
        ),
        AnomalyFailure(
            Where(file, 12, 9),
            "t",
            15.0,
            "Burst",
            (FiringAlert(page500, (("summary", "4 x 500"),)),),
            (FiringAlert(page500, (("summary", "3 x 500"),)),),
            (),
            (((("status", "500"),), 3.0), ((("status", "404"),), 1.0)),
        ),
    ) == result.failures


def test_detectors_count_a_stamped_line_at_its_own_time(tmp_path: Path) -> None:
    # three lines stamped 1s, 2s, 3s all arrive at 5s: pending since 3s, firing from 13s (by
    # arrival it would be pending since 5s, firing from 15s)
    lines = "\\n".join(f"ts=2026-01-01T00:00:0{s}Z level=error" for s in (1, 2, 3))
    result = run(
        tmp_path,
        f"""\
input:
  - source: stamped
    lines: [{{at: 5s, line: "{lines}"}}]
anomalies:
  - {{at: 12s, detector: StampedBurst, firing: []}}
  - {{at: 13s, detector: StampedBurst, firing: [{{labels: {{level: error}}}}]}}
""",
    )
    assert CaseResult("t", ()) == result


def test_detectors_are_evaluated_every_interval_between_lines(tmp_path: Path) -> None:
    # Burst fires from 13s on 3 matches at 1..3s; at 61s the window holds 2 (resolved, when
    # evaluated then); three more at 62s make it fire again: pending from 62s, not firing at 70s.
    # Evaluated only every minute, it never saw the dip: still firing at 70s.
    body = (
        THREE_500
        + """\
    lines: [{at: 62s, line: "status=500\\nstatus=500\\nstatus=500"}]
anomalies:
  - {at: 70s, detector: Burst, firing: FIRING}
"""
    )
    every_second = run(tmp_path, body.replace("FIRING", "[]"))
    assert CaseResult("t", ()) == every_second
    text = one_test(body.replace("FIRING", f"[{FIRING}]"))
    text = text.replace("tests:\n", "evaluation_interval: 1m\ntests:\n")
    (every_minute,) = run_suite(load_suite(write_tests(tmp_path, text)))
    assert CaseResult("t", ()) == every_minute
