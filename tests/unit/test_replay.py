import gzip
import io
import json
import os
from pathlib import Path

import pytest

from logsidecar.cli import main
from logsidecar.progress import Progress
from logsidecar.replay import ReplayError, pick_source, render, replay
from logsidecar.rules.load import load_rules
from logsidecar.rules.model import Source
from tests.helpers import sample_value

REPO = Path(__file__).resolve().parents[2]

RULES = r"""version: 1
sources:
  - name: app
    paths: ["/var/log/app/*.json"]
    format: json
  - name: web
    paths: ["/var/log/web/access.log"]
    exclude: ["*.gz"]
    format: regex
    pattern: '^(?P<status>\d{3}) '
rules:
  - name: app_errors
    source: app
    match: {level: error}
    metrics:
      - counter: app_errors_total
  - name: web_hits
    source: web
    metrics:
      - counter: web_hits_total
        labels: [status]
        max_series: 10
"""


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["replay", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bad_input_is_counted_and_the_run_goes_on(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "service.json"
    huge = b'{"level": "error", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    garbage = bytes(range(256)) * 4  # NULs, control bytes, invalid UTF-8
    log.write_bytes(
        b'{"level": "error"}\n'
        b'{"level": "error", "broken": \n'
        + huge + b"\n"
        + garbage + b"\n"
        + b'{"level": "error"}\n'
        + b'{"level": "info"}'  # no final newline: still read
    )  # fmt: skip
    code, out, _ = run_cli(capsys, "--rules", str(rules), "--source", "app", str(log))
    assert 0 == code
    lines = 6 + garbage.count(b"\n")
    assert lines == sample_value(out, "logsidecar_lines_total", source="app")
    # broken JSON, the 1 MiB line cut at 64 KiB, and every line of garbage
    assert lines - 3 == sample_value(out, "logsidecar_parse_errors_total", source="app")
    assert 1 == sample_value(out, "logsidecar_lines_truncated_total", source="app")
    assert 2 == sample_value(out, "app_errors_total")
    assert os.path.getsize(log) == sample_value(out, "logsidecar_bytes_total", source="app")


def test_each_file_is_read_by_the_source_whose_paths_match_it(tmp_path: Path, rules: Path) -> None:
    ruleset = load_rules(rules)
    assert "web" == pick_source("/var/log/web/access.log", ruleset.sources).name
    assert "web" == pick_source("copy/access.log", ruleset.sources).name  # by file name
    assert "app" == pick_source("/tmp/x/orders.json", ruleset.sources).name
    assert "app" == pick_source("whatever.txt", ruleset.sources, forced="app").name
    with pytest.raises(ReplayError, match="no source's paths match it; name one with --source"):
        pick_source("access.log.gz", ruleset.sources)  # excluded
    with pytest.raises(ReplayError, match=r"no source named 'nope' \(sources: app, web\)"):
        pick_source("x", ruleset.sources, forced="nope")


def test_a_full_path_match_wins_over_a_file_name_match() -> None:
    sources = [
        Source(name="nested", paths=["/var/log/app/**/*.log"], exclude=["/var/log/app/old/**"]),
        Source(name="flat", paths=["/var/log/*.log"]),
    ]
    # where the tailer would read it, the file is read by the source that would tail it ...
    assert "nested" == pick_source("/var/log/app/a/b/x.log", sources).name
    assert "flat" == pick_source("/var/log/x.log", sources).name
    # ... though its name matches both sources' last segment
    with pytest.raises(ReplayError, match="several sources match it"):
        pick_source("/tmp/copy/x.log", sources)
    # `*` does not cross `/`, so not flat's by path; nested's exclusion holds by name too
    assert "flat" == pick_source("/var/log/app/old/x.log", sources).name
    only_nested = [sources[0], Source(name="other", paths=["/srv/*.txt"])]
    assert "nested" == pick_source("/elsewhere/y.log", only_nested).name  # by file name
    with pytest.raises(ReplayError, match="no source's paths match it"):
        pick_source("/var/log/app/old/y.txt", [sources[0], Source(name="o", paths=["/a/*.json"])])


def test_errors_go_to_stderr_with_exit_1(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "--rules", str(rules), str(tmp_path / "nothing.log"))
    assert (1, "") == (code, out)
    assert "nothing.log: no source's paths match it; name one with --source\n" in err
    code, out, err = run_cli(capsys, "--rules", str(rules), "--source", "web", "/no/such.log")
    assert (1, "", "cannot read /no/such.log: No such file or directory\n") == (code, out, err)


def test_json_output_has_per_rule_match_counts(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "access.log"
    log.write_text("200 a\n500 b\n200 c\nnope\n")
    code, out, _ = run_cli(capsys, "--rules", str(rules), "--format", "json", str(log))
    assert 0 == code
    data = json.loads(out)
    assert {str(log): "web"} == data["files"]
    assert {"web_hits": 3.0} == data["rules"]
    assert {"lines": {"web": 4.0}, "parse_errors": {"web": 1.0}} == data["sources"]
    hits = next(m for m in data["metrics"] if m["name"] == "web_hits_total")
    assert {
        "name": "web_hits_total",
        "type": "counter",
        "help": "",
        "samples": [
            {"labels": {"status": "200"}, "value": 2.0},
            {"labels": {"status": "500"}, "value": 1.0},
        ],
    } == hits


def test_openmetrics_output_carries_exemplars(capsys: pytest.CaptureFixture[str]) -> None:
    case = REPO / "tests" / "golden" / "json-app"
    code, out, _ = run_cli(
        capsys,
        "--rules",
        str(case / "rules.yaml"),
        "--format",
        "openmetrics",
        str(case / "input.log"),
    )
    assert 0 == code
    assert 'app_log_errors_total 3.0 # {trace_id="a3ce929d0e0e4736"} 1.0\n' in out
    assert (
        'app_http_request_duration_seconds_bucket{le="10.0"} 3.0 # {trace_id="00f067aa0ba902b7"} 10.0\n'
        in out
    )
    assert out.endswith("# EOF\n")


def test_gzipped_files_are_read_decompressed(tmp_path: Path, rules: Path) -> None:
    log = tmp_path / "access.log.1.gz"
    log.write_bytes(gzip.compress(b"200 a\n404 b\n"))
    result = replay(load_rules(rules), [str(log)], source="web")
    text = render(result)
    assert 1 == sample_value(text, "web_hits_total", status="404")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_is_drawn_on_a_terminal_for_big_inputs_only(
    tmp_path: Path, rules: Path
) -> None:
    assert Progress.maybe(10 * 2**20, FakeTerminal()) is not None
    assert Progress.maybe(10, FakeTerminal()) is None  # small: done before it would show
    assert Progress.maybe(10 * 2**20, io.StringIO()) is None  # piped: never
    log = tmp_path / "access.log"
    log.write_text("200 a\n" * 1000)
    terminal = FakeTerminal()
    bar = Progress.maybe(log.stat().st_size, terminal, force=True)
    replay(load_rules(rules), [str(log)], progress=bar, block_bytes=1000)
    drawn = terminal.getvalue()
    assert drawn.startswith("\r") and drawn.endswith("\n")
    assert "100% 0.0/0.0 MiB" in drawn.splitlines()[-1].split("\r")[-1]


def test_no_progress_bar_when_piped(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "access.log"
    log.write_text("200 a\n")
    code, _, err = run_cli(capsys, "--rules", str(rules), str(log))
    assert (0, "") == (code, err)


def test_replay_json_lists_every_transition_and_the_alerts_left_at_the_end(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The detectors golden case in JSON: the same transitions the text prints as comments."""
    case = REPO / "tests" / "golden" / "detectors"
    argv = ["replay", "--rules", str(case / "rules.yaml"), "--format", "json"]
    assert 0 == main([*argv, str(case / "input.log")])
    doc = json.loads(capsys.readouterr().out)
    steps = [(t["time"] - 1767225600, t["detector"], t["to"]) for t in doc["transitions"]]
    assert steps[:4] == [
        (380.25, "ErrorBurst", "pending"),
        (396.0, "FailedShare", "firing"),
        (410.25, "ErrorBurst", "firing"),
        (455.0, "ErrorBurst", "resolved"),
    ]
    first = doc["transitions"][0]
    assert {"svc": "billing"} == first["labels"]
    assert "count 5 >= 5" == first["condition"]
    assert "anomaly_pending" == first["event"]
    assert first["lines"][-1].endswith('level=error svc=billing msg="charge failed"')
    # every detector resolved by the end of the log: nothing left firing
    assert [] == doc["anomalies"]
    assert 13 == len(doc["transitions"])
    text = (case / "expected.prom").read_text()
    assert 13 == sum(line.startswith("# 2026-") for line in text.splitlines())
