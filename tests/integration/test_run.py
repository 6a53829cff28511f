"""`logsidecar run` as a real process: real files, real inotify, scraped over HTTP."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from tests.helpers import LocalSidecar, sample_value

RULES = """\
version: 1
sources:
  - name: app
    paths: [{glob}]
rules:
  - name: errors
    match: {{line: {{regex: 'level=(?P<level>ERROR|FATAL)'}}}}
    metrics:
      - counter: app_errors_total
        help: Error lines, by level.
        labels: [level]
"""


def replace_file(path: Path, text: str) -> None:
    """Swap a file's content in one step, as a ConfigMap update does."""
    tmp = path.with_name(".tmp-" + path.name)
    tmp.write_text(text)
    tmp.rename(path)


def write_rules(tmp_path: Path) -> Path:
    logs = tmp_path / "logs"
    logs.mkdir()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(glob=json.dumps(str(logs / "*.log"))))
    return rules


def test_counts_exactly_the_matching_lines_written_in_pieces(tmp_path: Path) -> None:
    rules = write_rules(tmp_path)
    log = tmp_path / "logs" / "app.log"
    log.write_text("level=ERROR before start\nlevel=INFO fine\n")
    with LocalSidecar(rules, tmp_path) as sidecar:
        sidecar.wait_ready()
        with open(log, "a", buffering=1) as f:
            f.write("level=ERROR one\nlevel=FA")  # split mid-line
            f.flush()
            time.sleep(0.3)
            f.write("TAL two\nlevel=INFO three\n")
            for i in range(50):
                f.write(f"level={'ERROR' if i % 5 == 0 else 'INFO'} n={i}\n")
        later = tmp_path / "logs" / "later.log"  # a file created after start
        later.write_text("level=ERROR new file\n" * 7)
        sidecar.wait_for("app_errors_total", 1 + 1 + 10 + 7, level="ERROR")
        text = sidecar.scrape()
        assert 1.0 == sample_value(text, "app_errors_total", level="FATAL")
        assert 2 + 3 + 50 + 7 == sample_value(text, "logsidecar_lines_total", source="app")
        assert 20.0 == sample_value(text, "logsidecar_rule_matches_total", rule="errors")
        assert 0.0 == sample_value(text, "logsidecar_file_lag_bytes", path=str(later))


def test_endpoints_and_openmetrics(tmp_path: Path) -> None:
    rules = write_rules(tmp_path)
    with LocalSidecar(rules, tmp_path) as sidecar:
        sidecar.wait_ready()
        assert 200 == sidecar.get("/-/healthy")[0]
        status, page = sidecar.get("/")
        assert (200, True) == (status, b"logsidecar" in page)
        status, body = sidecar.get("/-/status")
        assert ["errors"] == json.loads(body)["rules_loaded"]
        assert 404 == sidecar.get("/nope")[0]
        import urllib.request

        req = urllib.request.Request(
            f"{sidecar.base}/metrics", headers={"Accept": "application/openmetrics-text"}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
            assert resp.read().decode().endswith("# EOF\n")


def test_sigterm_reads_what_is_left_and_exits_zero(tmp_path: Path) -> None:
    rules = write_rules(tmp_path)
    sidecar = LocalSidecar(rules, tmp_path, poll_interval="30s", commit_interval="30s")
    try:
        sidecar.wait_ready()
        (tmp_path / "logs" / "app.log").write_text("level=ERROR last words")  # no newline
        assert 0 == sidecar.stop(signal.SIGTERM)
    finally:
        sidecar.stop()
    assert '"event": "stopped"' in sidecar.output()


def test_reload_keeps_old_rules_when_new_ones_are_bad(tmp_path: Path) -> None:
    rules = write_rules(tmp_path)
    log = tmp_path / "logs" / "app.log"
    with LocalSidecar(rules, tmp_path) as sidecar:
        sidecar.wait_ready()
        log.write_text("level=ERROR a\n")
        sidecar.wait_for("app_errors_total", 1, level="ERROR")
        good = rules.read_text()
        replace_file(rules, good.replace("labels: [level]", "labels: [level]\n        bogus: 1"))
        # the change is seen (inotify on the rules directory) and refused
        sidecar.wait_for("logsidecar_config_last_reload_successful", 0)
        assert 1.0 == sample_value(sidecar.scrape(), "logsidecar_config_reload_failures_total")
        import urllib.request

        req = urllib.request.Request(f"{sidecar.base}/-/reload", method="POST", data=b"")
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("reload of a bad file answered 2xx")
        except urllib.error.HTTPError as err:
            assert 500 == err.code
            assert "unknown key 'bogus'" in err.read().decode()
        with open(log, "a") as f:
            f.write("level=ERROR b\n")
        sidecar.wait_for("app_errors_total", 2, level="ERROR")  # old rules still in force
        text = sidecar.scrape()
        assert 0.0 == sample_value(text, "logsidecar_config_last_reload_successful")
        assert 2.0 == sample_value(text, "logsidecar_config_reload_failures_total")
        replace_file(rules, good.replace("app_errors_total", "app_errors2_total"))
        sidecar.wait_for("logsidecar_config_last_reload_successful", 1, deadline=20)
        with open(log, "a") as f:
            f.write("level=ERROR c\n")
        sidecar.wait_for("app_errors2_total", 1, level="ERROR")
