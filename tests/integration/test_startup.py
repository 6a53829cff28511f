"""Start-up as an operator meets it: one clear line and exit 2 for what cannot work, and a
sidecar that runs (not ready) with rules that do not load yet, instead of crash-looping."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO_ROOT, LocalSidecar, every_line_rules, sample_value
from tests.kubelet import ConfigMapVolume

BROKEN = "version: 1\nrules:\n  - name: x\n    sauce: y\n"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logsidecar", "run", *args],
        cwd=REPO_ROOT, env={"PATH": "/usr/bin:/bin", **(env or {})},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def good_rules(tmp_path: Path) -> Path:
    (tmp_path / "logs").mkdir(exist_ok=True)
    rules = tmp_path / "rules.yaml"
    rules.write_text(every_line_rules(tmp_path / "logs" / "*.log"))
    return rules


def test_an_invalid_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_cli("--rules", str(good_rules(tmp_path)), env={"LOGSIDECAR_LOG_LEVEL": "loud"})
    assert 2 == done.returncode
    assert [
        "logsidecar: invalid setting log_level (--log-level or LOGSIDECAR_LOG_LEVEL)='loud': "
        "Input should be 'debug', 'info', 'warning' or 'error'"
    ] == done.stderr.splitlines()


def test_a_port_in_use_is_one_line_and_exit_2_and_reads_nothing(tmp_path: Path) -> None:
    rules = good_rules(tmp_path)
    (tmp_path / "logs" / "app.log").write_text("one\n")
    state = tmp_path / "state"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("--rules", str(rules), "--listen-address", "127.0.0.1",
                       "--port", str(port), "--state-dir", str(state))  # fmt: skip
    assert 2 == done.returncode
    assert [f"logsidecar: cannot listen on 127.0.0.1:{port}: Address already in use"] == (
        done.stderr.splitlines()
    )
    assert not (state / "logsidecar-state.json").exists()  # a failed start commits nothing


def test_a_state_file_of_a_newer_version_is_one_line_and_exit_2(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "logsidecar-state.json").write_text(json.dumps({"version": 99}))
    done = run_cli("--rules", str(good_rules(tmp_path)), "--state-dir", str(state), "--port", "0")
    assert 2 == done.returncode
    assert [
        f"logsidecar: cannot use the state in {state}: state file version 99 is newer than this "
        "logsidecar reads (2): run a newer logsidecar, or move the file away to start from nothing"
    ] == done.stderr.splitlines()
    assert (state / "logsidecar-state.json").exists()


def test_an_unknown_variable_is_warned_about_and_an_upper_case_level_works(tmp_path: Path) -> None:
    env = {"LOGSIDECAR_LOG_LEVEL": "INFO", "LOGSIDECAR_STATEDIR": str(tmp_path / "s")}
    with LocalSidecar(
        good_rules(tmp_path), tmp_path, **{k[11:].lower(): v for k, v in env.items()}
    ) as sidecar:
        sidecar.wait_ready()
        lines = [json.loads(line) for line in sidecar.output().splitlines() if line.startswith("{")]
    warned = [e for e in lines if e["event"] == "unknown_setting"]
    assert [("LOGSIDECAR_STATEDIR", "warning")] == [(e["variable"], e["level"]) for e in warned]


def test_strict_startup_exits_1_on_rules_that_do_not_load(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(BROKEN)
    done = run_cli("--rules", str(rules), "--port", "0", "--strict-startup")
    assert 1 == done.returncode
    assert f"{rules}:4:5: rule 'x': unknown key 'sauce'" in done.stderr


def test_bad_rules_at_start_run_not_ready_until_the_configmap_is_fixed(tmp_path: Path) -> None:
    volume = ConfigMapVolume(tmp_path / "rules")
    volume.write({"rules.yaml": BROKEN})
    log = tmp_path / "logs" / "app.log"
    log.parent.mkdir()
    log.write_text("one\ntwo\n")
    with LocalSidecar(tmp_path / "rules", tmp_path, state_dir=str(tmp_path / "state")) as sidecar:
        sidecar.wait_for("logsidecar_config_last_reload_successful", 0)
        assert 503 == sidecar.get("/-/ready")[0]
        assert 200 == sidecar.get("/-/healthy")[0]
        text = sidecar.scrape()
        assert 1.0 == sample_value(text, "logsidecar_config_reload_failures_total")
        status = json.loads(sidecar.get("/-/status")[1])
        assert "unknown key 'sauce'" in status["last_reload_error"]
        assert status["not_ready_because"][0].startswith("no rule set loaded: ")
        volume.write({"rules.yaml": every_line_rules(log)})
        sidecar.wait_for("app_lines_total", 2)
        sidecar.wait_ready(deadline=5)
        assert 1.0 == sample_value(sidecar.scrape(), "logsidecar_config_last_reload_successful")


def test_a_state_dir_that_cannot_be_written_keeps_the_sidecar_not_ready_and_says_so(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    log = tmp_path / "logs" / "app.log"
    rules = good_rules(tmp_path)
    log.write_text("one\n")
    subprocess.run(["chattr", "+i", str(state)], check=True)  # not even root may write there now
    try:
        with LocalSidecar(rules, tmp_path, state_dir=str(state)) as sidecar:
            sidecar.wait_for("logsidecar_checkpoint_failures_total", 3, deadline=10, at_least=True)
            text = sidecar.scrape()
            assert None is sample_value(text, "app_lines_total")  # nothing a crash could undo
            assert 503 == sidecar.get("/-/ready")[0]
            reasons = json.loads(sidecar.get("/-/status")[1])["not_ready_because"]
            assert [
                "no state commit has succeeded yet (is the state directory writable?)"
            ] == reasons
            subprocess.run(["chattr", "-i", str(state)], check=True)
            sidecar.wait_for("app_lines_total", 1)
            sidecar.wait_ready(deadline=5)
        events = [
            json.loads(x)["event"] for x in sidecar.output().splitlines() if x.startswith("{")
        ]
        assert 1 == events.count("checkpoint_failed")  # said once, not at every commit
        assert 1 == events.count("checkpoint_recovered")
    finally:
        subprocess.run(["chattr", "-i", str(state)], check=False)
