"""A broken test file is reported at FILE:LINE:COL of each offending key or value, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from logsidecar.errors import RuleError
from logsidecar.ruletest.load import load_suite
from tests.unit.ruletest.files import one_test, write_tests


def problems(tmp_path: Path, text: str, rules: str | None = None) -> list[str]:
    path = write_tests(tmp_path, text) if rules is None else write_tests(tmp_path, text, rules)
    with pytest.raises(RuleError) as caught:
        load_suite(path)
    return [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]


def test_shape_errors_point_at_their_key_or_value(tmp_path: Path) -> None:
    text = one_test(
        """\
        colour: red
        input:
          - source: app
            lines: [{at: soon, line: x}]
            generate: [{count: 0, line: x}]
        metrics:
          - {expect: {'requests_total{status="200"}': "many"}}
        anomalies:
          - {at: 1m, firing: []}
        """
    )
    assert [
        "t.test.yaml:5:5: test 't': unknown key 'colour'",
        "t.test.yaml:8:22: test 't': not a duration: 'soon' (write e.g. 30s, 5m, 1h30m)",
        "t.test.yaml:9:28: test 't': Input should be greater than or equal to 1",
        "t.test.yaml:11:9: test 't': missing required key 'at'",
        "t.test.yaml:11:51: test 't': Input should be a valid number",
        "t.test.yaml:13:9: test 't': missing required key 'detector'",
    ] == problems(tmp_path, text)


def test_the_file_level_keys_are_required(tmp_path: Path) -> None:
    assert [
        "t.test.yaml:1:1: missing required key 'rule_files'",
        "t.test.yaml:1:1: missing required key 'tests'",
    ] == problems(tmp_path, "evaluation_interval: 1s\n")


def test_start_is_rfc3339_with_a_zone(tmp_path: Path) -> None:
    text = 'rule_files: [rules.yaml]\ntests:\n  - {name: a, start: "2026-01-01T00:00:00"}\n'
    text += "  - {name: b, start: yesterday}\n"
    assert [
        "t.test.yaml:3:22: test 'a': '2026-01-01T00:00:00' has no zone: end it in Z or an offset such as +02:00",
        "t.test.yaml:4:22: test 'b': not an RFC 3339 time: 'yesterday' (write e.g. \"2026-01-01T00:00:00Z\")",
    ] == problems(tmp_path, text)


def test_invalid_yaml_is_one_problem_at_its_position(tmp_path: Path) -> None:
    assert ["t.test.yaml:2:6: invalid YAML: expected ',' or ']', but got ':'"] == problems(
        tmp_path, "rule_files: [rules.yaml\ntests: []\n"
    )


def test_references_are_checked_against_the_rule_files(tmp_path: Path) -> None:
    text = one_test(
        """\
        input:
          - {source: web, lines: [{at: 1s, line: x}]}
        metrics:
          - at: 1m
            expect:
              'requests_totl{status="200"}': 1
              'requests_total{code="200"}': 1
              'requests_total': 1
              'request_seconds': 1
              'request_seconds_bucket{le="0.5"}': 1
            absent: ['requests_total{status="200"']
        anomalies:
          - {at: 1m, detector: Bursts, firing: []}
          - {at: 1m, detector: Burst, firing: [{labels: {status: 500}}]}
        """
    )
    assert [
        "t.test.yaml:6:18: test 't': unknown source 'web' (sources: app, stamped, trace)",
        "t.test.yaml:10:11: test 't': unknown metric 'requests_totl': the rule files define no such series (did you mean 'requests_total'?)",
        "t.test.yaml:11:11: test 't': metric 'requests_total' has no label 'code' (its labels: status)",
        "t.test.yaml:12:11: test 't': 'requests_total' needs every label of its series; missing: status",
        "t.test.yaml:13:11: test 't': 'request_seconds' is a histogram: read request_seconds_bucket{..., le=\"...\"}, request_seconds_sum or request_seconds_count",
        "t.test.yaml:14:11: test 't': histogram 'request_seconds' has no bucket le='0.5' (its buckets: 0.1, 1.0, +Inf)",
        "t.test.yaml:15:18: test 't': 'requests_total{status=\"200\"': missing `}`",
        "t.test.yaml:17:28: test 't': unknown detector 'Bursts' (detectors: Burst, StampedBurst)",
        "t.test.yaml:18:53: test 't': Burst's alerts have exactly the labels: severity, status (group_by and static labels); these have status",
    ] == problems(tmp_path, text)


def test_a_missing_rule_file_is_reported_at_its_entry(tmp_path: Path) -> None:
    text = 'rule_files: [rules.yaml, other.yaml]\ntests:\n  - {name: a, start: "2026-01-01T00:00:00Z"}\n'
    assert ["t.test.yaml:1:26: no such rule file: other.yaml"] == problems(tmp_path, text)


def test_problems_of_the_rule_files_are_theirs(tmp_path: Path) -> None:
    text = 'rule_files: [rules.yaml]\ntests:\n  - {name: a, start: "2026-01-01T00:00:00Z"}\n'
    rules = "version: 1\nsources:\n  - {name: app, paths: [/x], colour: red}\n"
    assert ["rules.yaml:3:30: source 'app': unknown key 'colour'"] == problems(
        tmp_path, text, rules
    )


def test_bad_generate_placeholders_and_duplicate_names(tmp_path: Path) -> None:
    text = one_test(
        """\
        input:
          - source: app
            generate: [{count: 2, line: 'n={i:q}'}]
        """
    )
    text += '  - {name: t, start: "2026-01-01T00:00:00Z"}\n'
    assert [
        "t.test.yaml:7:37: test 't': bad placeholder: Unknown format code 'q' for object of type 'int'",
        "t.test.yaml:8:12: test 't': another test has this name (test #1)",
    ] == problems(tmp_path, text)


def test_a_good_file_loads_into_batches(tmp_path: Path) -> None:
    text = one_test(
        """\
        input:
          - source: app
            lines:
              - {at: 2s, line: "status=200\\nstatus=500"}
              - {at: 1s, line: status=404}
            generate: [{start: 1s, every: 1s, count: 2, line: 'status={i}'}]
          - source: trace
            lines: [{at: 1s, line: "1 x"}]
        """
    )
    suite = load_suite(write_tests(tmp_path, text))
    (case,) = suite.cases
    assert [
        (1.0, "app", ("status=404", "status=0")),
        (1.0, "trace", ("1 x",)),
        (2.0, "app", ("status=200", "status=500", "status=1")),
    ] == [(b.at, b.source, b.lines) for b in case.batches]
    assert 1767225600.0 == case.start
    assert 1.0 == suite.interval
