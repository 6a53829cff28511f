"""Restarts keep counters right: SIGKILL, restart from the checkpoint, no loss, no double count."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from logsidecar.tail.identity import head_digest
from tests.helpers import LocalSidecar, every_line_rules, sample_value


def setup(tmp_path: Path) -> tuple[Path, Path]:
    logs = tmp_path / "logs"
    logs.mkdir()
    rules = tmp_path / "rules.yaml"
    rules.write_text(every_line_rules(logs / "*.log"))
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


MULTILINE_RULES = """\
version: 1
sources:
  - name: app
    paths: [{glob}]
    multiline: {{start: '^\\d{{4}}-', timeout: 1h}}
rules:
  - name: events
    metrics:
      - counter: app_events_total
  - name: whole_two
    match: {{line: {{contains: "2026-01-01 two", regex: "rest of two"}}}}
    metrics:
      - counter: app_whole_two_total
"""


def test_a_multiline_event_half_read_at_a_crash_is_completed_after_restart(
    tmp_path: Path,
) -> None:
    rules, log = setup(tmp_path)
    rules.write_text(MULTILINE_RULES.format(glob=json.dumps(str(log.parent / "*.log"))))
    state = str(tmp_path / "state")
    log.write_text("2026-01-01 one\n  more of one\n2026-01-01 two\n  half of two\n")
    with LocalSidecar(rules, tmp_path, state_dir=state) as first:
        first.wait_ready()
        first.wait_for("app_events_total", 1)  # `two` is still pending: no next start line
        first.wait_for("logsidecar_lines_total", 4, source="app")
        time.sleep(0.5)  # let a commit with the pending event happen
        first.stop(signal.SIGKILL)
    with open(log, "a") as f:
        f.write("  rest of two\n2026-01-01 three\n")
    with LocalSidecar(rules, tmp_path, state_dir=state) as second:
        second.wait_ready()
        second.wait_for("app_events_total", 2)
        text = second.scrape()
        assert 6.0 == sample_value(text, "logsidecar_lines_total", source="app")
        assert 1.0 == sample_value(text, "app_whole_two_total")  # its two halves joined


def test_a_state_file_of_the_previous_release_is_migrated_and_continued(tmp_path: Path) -> None:
    # As logsidecar 0.1 (state version 1) wrote it: the file read to its end, and a counter that
    # had counted more than this file holds (earlier files), so a fresh start would show less.
    rules, log = setup(tmp_path)
    append(log, 0, 100)
    st = log.stat()
    head = log.read_bytes()[:1024]
    v1 = {
        "version": 1,
        "written_at": 1.0,
        "rules_digest": "old",
        "positions": [
            {"source": "app", "path": str(log), "dev": st.st_dev, "ino": st.st_ino,
             "head_len": len(head), "head_digest": head_digest(head), "offset": st.st_size,
             "skipping": False, "draining": False}
        ],
        "metrics": {
            "app_lines_total": {"kind": "counter", "labels": [], "buckets": [], "series": [[[], 1000.0]]}
        },
        "pending_events": {},
    }  # fmt: skip
    state = tmp_path / "state"
    state.mkdir()
    (state / "logsidecar-state.json").write_text(json.dumps(v1))
    append(log, 100, 20)
    with LocalSidecar(rules, tmp_path, state_dir=str(state)) as sidecar:
        sidecar.wait_ready()
        sidecar.wait_for("app_lines_total", 1020)  # 1000 restored + the 20 new lines only
    assert '"from_version": 1' in sidecar.output()
    assert 2 == json.loads((state / "logsidecar-state.json").read_text())["version"]


@pytest.mark.parametrize(
    ("section", "content", "reason"),
    [
        ("metrics", {"app_events_total": {"kind": "counter", "labels": [], "buckets": [],
                                          "series": [[["x", "y"], 5.0]]}},
         "metric 'app_events_total' in the state file"),
        ("tail", {"positions": [{"source": "app", "path": "/x"}]}, "the tail section"),
        ("pending_events", {"app": [{"lines": ["no path"]}]}, "pending_events: KeyError('path')"),
    ],
)  # fmt: skip
def test_a_state_file_whose_rows_do_not_fit_is_moved_aside_not_half_restored(
    tmp_path: Path, section: str, content: dict[str, object], reason: str
) -> None:
    rules, log = setup(tmp_path)
    rules.write_text(MULTILINE_RULES.format(glob=json.dumps(str(log))))
    log.write_text("2026-01-01 a\n2026-01-01 b\n2026-01-01 c\n")
    state = tmp_path / "state"
    state.mkdir()
    document = {"version": 2, "written_at": 1.0, "rules_digest": "d", section: content}
    (state / "logsidecar-state.json").write_text(json.dumps(document))
    with LocalSidecar(rules, tmp_path, state_dir=str(state)) as sidecar:
        sidecar.wait_ready()
        sidecar.wait_for("logsidecar_lines_total", 3, source="app")  # read from the start
        assert 2.0 == sample_value(sidecar.scrape(), "app_events_total")  # `c` still pending
    assert reason in sidecar.output()
    assert 1 == len(list(state.glob("logsidecar-state.json.unusable-*")))
    assert "Traceback" not in sidecar.output()
