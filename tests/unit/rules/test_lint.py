from pathlib import Path

import pytest

from logsidecar.cli import main
from logsidecar.rules.load import load_rules

RULES = r"""version: 1
sources:
  - name: web
    paths: [/x.log]
    format: regex
    pattern: '^(?P<ip>\S+) (?P<status>\d{3}) (?P<took>[\d.]+)'
    timestamp: {field: ts, format: rfc3339}
  - name: api
    paths: [/y.log]
    format: json
rules:
  - name: hits
    source: web
    match:
      line: {regex: 'user=(?P<user>\w+)'}
    metrics:
      - counter: hits_total
        labels: [ip, status, user]
      - counter: misses_total
        value: size
        expire_after: 5m
      - histogram: took_seconds
        value: took
        labels: {who: user}
        max_series: 100
  - name: slow
    source: web
    match:
      line: {regex: '.*a.*b.*c'}
  - name: api_hits
    source: api
    metrics:
      - counter: api_hits_total
        labels: [anything]
"""


def warnings(tmp_path: Path, text: str = RULES) -> list[str]:
    (tmp_path / "rules.yaml").write_text(text)
    found = load_rules(tmp_path / "rules.yaml").warnings
    return [str(w).removeprefix(str(tmp_path) + "/") for w in found]


def test_lint_points_at_what_is_probably_wrong(tmp_path: Path) -> None:
    assert [
        "rules.yaml:7:24: source 'web': warning: field 'ts' is never set by this source's parser: events will carry their arrival time",
        "rules.yaml:18:18: rule 'hits': warning: label 'ip' is fed by an unbounded regex capture ('ip') and the metric has no max_series: up to 10000 series before overflow; set max_series to what you expect",
        "rules.yaml:18:30: rule 'hits': warning: label 'user' is fed by an unbounded regex capture ('user') and the metric has no max_series: up to 10000 series before overflow; set max_series to what you expect",
        "rules.yaml:20:16: rule 'hits': warning: `value` reads field 'size', which no parser or regex of this rule sets (known: ip, line, status, took, user)",
        "rules.yaml:21:9: rule 'hits': warning: an expired counter that comes back starts again from 0, which Prometheus reads as a reset (expire_after is meant for gauges and histograms)",
        "rules.yaml:29:21: rule 'slow': warning: regex '.*a.*b.*c' can backtrack in time ~n^4: lines longer than 56 characters run on the slower linear-time engine (anchor it with ^, or replace `.*` by a class that cannot run past the next part, like [^ ]*)",
    ] == warnings(tmp_path)


def test_check_shows_warnings_and_fails_on_them_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "rules.yaml").write_text(RULES)
    assert 0 == main(["check", str(tmp_path / "rules.yaml")])
    out = capsys.readouterr().out.splitlines()
    assert 7 == len(out)
    assert out[-1].endswith("rules.yaml: OK: 2 sources, 3 rules, 0 detectors, 6 warnings")
    assert 1 == main(["check", "--lint-fatal", str(tmp_path / "rules.yaml")])


def test_fields_of_json_and_logfmt_sources_are_not_second_guessed(tmp_path: Path) -> None:
    assert not [w for w in warnings(tmp_path) if "api_hits" in w]
