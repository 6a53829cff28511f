"""Every error kind of the contract, at its exact FILE:LINE:COL, and all of them in one run."""

from pathlib import Path

import pytest

from logsidecar.cli import main
from logsidecar.errors import RuleError
from logsidecar.rules.load import load_rules

BASE = r"""version: 1
sources:
  - name: app
    paths: ["/var/log/app/*.log"]
    format: regex
    pattern: '^(?P<status>\d+) (?P<path>\S+)'
    multiline: {start: '^\d', timeout: 2s}
lists:
  health: [/healthz]
rules:
  - name: errors
    source: app
    match:
      status: {gte: 500}
      path: {not_in: $health}
    metrics:
      - counter: errors_total
        labels: [status]
        max_series: 10
      - histogram: took_seconds
        value: status
        buckets: [1, 2]
detectors:
  - name: Burst
    type: threshold
    rule: errors
    window: 5m
    condition: {gte: 10}
"""
OTHER_RULE = """  - name: other
    source: app
    metrics:
      - {METRIC}
"""

CASES = {
    "unknown key": (
        ("        max_series: 10", "        max_serie: 10"),
        "19:9: rule 'errors': unknown key 'max_serie'",
    ),
    "unknown source": (
        ("    source: app\n    match", "    source: web\n    match"),
        "12:13: rule 'errors': unknown source 'web'",
    ),
    "unknown rule": (
        ("    rule: errors", "    rule: nope"),
        "26:11: detector 'Burst': unknown rule 'nope'",
    ),
    "unknown list": (
        ("{not_in: $health}", "{not_in: $nope}"),
        "15:22: rule 'errors': unknown list '$nope'",
    ),
    "invalid source regex": (
        (r"pattern: '^(?P<status>\d+) (?P<path>\S+)'", "pattern: '(?P<status'"),
        "6:14: source 'app': invalid regex '(?P<status': missing >, unterminated name at position 4",
    ),
    "invalid multiline regex": (
        (r"{start: '^\d',", "{start: '(',"),
        "7:24: source 'app': invalid regex '(': missing ), unterminated subpattern at position 0",
    ),
    "invalid match regex": (
        ("status: {gte: 500}", "status: {gte: 500, regex: 'a['}"),
        "14:33: rule 'errors': invalid regex 'a[': unterminated character set at position 1",
    ),
    "regex RE2 cannot run": (
        ("status: {gte: 500}", "status: {gte: 500, regex: '(?=5)'}"),
        "14:33: rule 'errors': regex '(?=5)' refused: a lookaround is not supported (every "
        "pattern must also run on the linear-time engine, RE2)",
    ),
    "invalid metric name": (
        ("counter: errors_total", "counter: errors-total"),
        "17:18: rule 'errors': invalid metric name 'errors-total'",
    ),
    "reserved metric name": (
        ("counter: errors_total", "counter: logsidecar_errors_total"),
        "17:18: rule 'errors': metric names starting with 'logsidecar_' are reserved",
    ),
    "invalid label name": (
        ("labels: [status]", 'labels: [status, "1x"]'),
        "18:26: rule 'errors': invalid label name '1x'",
    ),
    "counter without _total": (
        ("counter: errors_total", "counter: errors_count"),
        "17:18: rule 'errors': counter 'errors_count' must end in _total",
    ),
    "bad duration": (
        ("window: 5m", "window: 5 minutes"),
        "27:13: detector 'Burst': not a duration: '5 minutes' (write e.g. 30s, 5m, 1h30m)",
    ),
    "bad multiline duration": (
        ("timeout: 2s}", "timeout: soon}"),
        "7:40: source 'app': not a duration: 'soon' (write e.g. 30s, 5m, 1h30m)",
    ),
    "unknown timestamp format": (
        (
            "    multiline: {start: '^\\d', timeout: 2s}",
            "    timestamp: {field: status, format: iso}",
        ),
        "7:40: source 'app': unknown timestamp format 'iso' (one of: rfc3339, unix, unix_ms, "
        "unix_us, unix_ns, or a strptime format)",
    ),
    "unknown operator": (
        ("status: {gte: 500}", "status: {between: 500}"),
        "14:16: rule 'errors': unknown operator 'between' (one of: eq, ne, lt, lte, gt, gte, in, "
        "not_in, regex, contains, startswith, endswith, exists)",
    ),
    "exemplar on a gauge": (
        (
            "      - histogram: took_seconds\n        value: status\n        buckets: [1, 2]\n",
            "      - gauge: took_seconds\n        value: status\n        exemplar: path\n",
        ),
        "22:19: rule 'errors': `exemplar` is only for counters and histograms",
    ),
    "detector without its condition": (
        ("    condition: {gte: 10}\n", ""),
        "24:5: detector 'Burst': missing required key 'condition'",
    ),
    "unknown detector type": (
        ("type: threshold", "type: thresh"),
        "25:11: detector 'Burst': unknown detector type 'thresh' (one of: threshold, ratio, "
        "spike, absence, new_value, cardinality, new_template, template_rate)",
    ),
    "detector condition not a number": (
        ("{gte: 10}", "{gte: ten}"),
        "28:22: detector 'Burst': Input should be a valid number",
    ),
    "buckets on a counter": (
        ("        max_series: 10", "        max_series: 10\n        buckets: [1]"),
        "20:18: rule 'errors': `buckets` is only for histograms",
    ),
}


def check(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RuleError) as caught:
        load_rules(path)
    return [str(p).removeprefix(str(tmp_path) + "/") for p in caught.value.problems]


def test_the_base_file_is_clean(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(BASE)
    assert () == load_rules(tmp_path / "rules.yaml").warnings


@pytest.mark.parametrize("kind", CASES)
def test_each_error_kind_points_at_the_offending_key_or_value(tmp_path: Path, kind: str) -> None:
    (old, new), expected = CASES[kind]
    assert old in BASE
    assert [f"rules.yaml:{expected}"] == check(tmp_path, BASE.replace(old, new))


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (
            "gauge: took_seconds\n        value: status",
            "26:16: rule 'other': metric 'took_seconds' is a histogram elsewhere (FILE)",
        ),
        (
            "counter: errors_total\n        labels: [path]",
            "26:18: rule 'other': metric 'errors_total' has other labels elsewhere (FILE)",
        ),
        (
            "histogram: took_seconds\n        value: status\n        buckets: [5]",
            "26:20: rule 'other': histogram 'took_seconds' has other buckets elsewhere (FILE)",
        ),
    ],
)
def test_one_metric_name_with_two_shapes_is_an_error(
    tmp_path: Path, metric: str, expected: str
) -> None:
    text = BASE.replace("detectors:\n", OTHER_RULE.replace("{METRIC}", metric) + "detectors:\n")
    found = check(tmp_path, text)
    assert [f"rules.yaml:{expected}".replace("FILE", str(tmp_path / "rules.yaml"))] == found


def test_all_errors_at_once_in_position_order(tmp_path: Path) -> None:
    text = BASE
    for old, new in [
        ("pattern: '^(?P<status>\\d+) (?P<path>\\S+)'", "pattern: '(?P<status'"),
        ("timeout: 2s}", "timeout: soon}"),
        ("    source: app\n    match", "    source: web\n    match"),
        ("status: {gte: 500}", "status: {between: 500}"),
        ("{not_in: $health}", "{not_in: $nope}"),
        ("counter: errors_total", "counter: errors_count"),
        ("labels: [status]", 'labels: [status, "1x"]'),
        ("max_series: 10", "max_serie: 10"),
        ("    rule: errors", "    rule: nope"),
        ("window: 5m", "window: 5 minutes"),
        ("{gte: 10}", "{gte: ten}"),
    ]:
        assert old in text
        text = text.replace(old, new)
    assert [
        "rules.yaml:6:14: source 'app': invalid regex '(?P<status': missing >, unterminated name at position 4",
        "rules.yaml:7:40: source 'app': not a duration: 'soon' (write e.g. 30s, 5m, 1h30m)",
        "rules.yaml:12:13: rule 'errors': unknown source 'web'",
        "rules.yaml:14:16: rule 'errors': unknown operator 'between' (one of: eq, ne, lt, lte, gt, gte, in, not_in, regex, contains, startswith, endswith, exists)",
        "rules.yaml:15:22: rule 'errors': unknown list '$nope'",
        "rules.yaml:17:18: rule 'errors': counter 'errors_count' must end in _total",
        "rules.yaml:18:26: rule 'errors': invalid label name '1x'",
        "rules.yaml:19:9: rule 'errors': unknown key 'max_serie'",
        "rules.yaml:26:11: detector 'Burst': unknown rule 'nope'",
        "rules.yaml:27:13: detector 'Burst': not a duration: '5 minutes' (write e.g. 30s, 5m, 1h30m)",
        "rules.yaml:28:22: detector 'Burst': Input should be a valid number",
    ] == check(tmp_path, text)


def test_check_prints_every_error_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        BASE.replace("    rule: errors", "    rule: nope").replace("window: 5m", "window: x")
    )
    assert 1 == main(["check", str(path)])
    assert [
        f"{path}:26:11: detector 'Burst': unknown rule 'nope'",
        f"{path}:27:13: detector 'Burst': not a duration: 'x' (write e.g. 30s, 5m, 1h30m)",
    ] == capsys.readouterr().out.splitlines()
