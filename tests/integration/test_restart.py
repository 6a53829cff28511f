"""Restarts keep counters right: SIGKILL, restart from the checkpoint, no loss, no double count."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.helpers import LocalSidecar, sample_value

RULES = """\
version: 1
sources:
  - name: app
    paths: [{glob}]
rules:
  - name: all
    metrics:
      - counter: app_lines_total
        help: Every line.
"""


def setup(tmp_path: Path) -> tuple[Path, Path]:
    logs = tmp_path / "logs"
    logs.mkdir()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(glob=json.dumps(str(logs / "*.log"))))
    return rules, logs / "app.log"


def append(log: Path, start: int, count: int) -> None:
    with open(log, "a") as f:
        f.write("".join(f"line {i}\n" for i in range(start, start + count)))


def test_sigkill_and_restart_neither_loses_nor_double_counts(tmp_path: Path) -> None:
    rules, log = setup(tmp_path)
    state = str(tmp_path / "state")
    append(log, 0, 100)
    with LocalSidecar(rules, tmp_path, state_dir=state) as first:
        first.wait_ready()
        first.wait_for("app_lines_total", 100)
        append(log, 100, 50)
        first.wait_for("app_lines_total", 150)
        first.stop(signal.SIGKILL)
    append(log, 150, 25)  # written while down
    with LocalSidecar(rules, tmp_path, state_dir=state) as second:
        second.wait_ready()
        second.wait_for("app_lines_total", 175)
        text = second.scrape()
        assert 175.0 == sample_value(text, "logsidecar_lines_total", source="app")


def test_rotation_while_down_is_read_to_its_end(tmp_path: Path) -> None:
    rules, log = setup(tmp_path)
    state = str(tmp_path / "state")
    append(log, 0, 10)
    with LocalSidecar(rules, tmp_path, state_dir=state) as first:
        first.wait_ready()
        first.wait_for("app_lines_total", 10)
    append(log, 10, 5)
    log.rename(log.with_name("app.log.1"))  # not matched by *.log
    append(log, 15, 3)
    with LocalSidecar(rules, tmp_path, state_dir=state) as second:
        second.wait_ready()
        second.wait_for("app_lines_total", 18)


def test_a_corrupt_state_file_is_moved_aside_and_the_run_goes_on(tmp_path: Path) -> None:
    rules, log = setup(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    (state / "logsidecar-state.json").write_text("garbage")
    append(log, 0, 3)
    with LocalSidecar(rules, tmp_path, state_dir=str(state)) as sidecar:
        sidecar.wait_ready()
        sidecar.wait_for("app_lines_total", 3)
    assert '"event": "state_unusable"' in sidecar.output()
    assert 1 == len(list(state.glob("logsidecar-state.json.unusable-*")))
