"""Detectors in the service, a tick at a time on real files and a real state directory, with a
fake clock: a restart resumes a half-learned baseline exactly, a reload keeps an unchanged
detector's window, an absence fires with no input, and /metrics shows only committed alerts."""

from __future__ import annotations

import json
import time
from pathlib import Path

from prometheus_client.exposition import generate_latest

from logsidecar.app import App
from logsidecar.clock import FakeClock
from logsidecar.settings import Settings
from tests.helpers import sample_value

START = 1_800_000_000.0  # a multiple of every bucket width used here

RULES = """\
version: 1
sources:
  - name: app
    paths: [{glob}]
rules:
  - name: all
    metrics:
      - counter: app_lines_total
        help: {help}
detectors:
{detectors}
"""

SPIKE = """\
  - {name: Jump, type: spike, rule: all, window: 10s, baseline: 60s, method: zscore,
     threshold: 3, direction: up, min_current: 5}
"""
BURST = """\
  - {name: Burst, type: threshold, rule: all, window: 30s, condition: {gte: 5}}
"""
QUIET = """\
  - {name: Quiet, type: absence, rule: all, window: 5s, labels: {severity: page}}
"""


def write_rules(path: Path, logs: Path, detectors: str, help: str = "Lines.") -> None:
    path.write_text(
        RULES.format(glob=json.dumps(str(logs / "*.log")), help=help, detectors=detectors)
    )


def make_app(
    tmp_path: Path, name: str, detectors: str, state: str | None = None
) -> tuple[App, FakeClock, Path]:
    logs = tmp_path / f"{name}-logs"
    logs.mkdir(exist_ok=True)
    rules = tmp_path / f"{name}-rules.yaml"
    if not rules.exists():
        write_rules(rules, logs, detectors)
    settings = Settings(
        rules=str(rules),
        port=0,
        listen_address="127.0.0.1",
        state_dir=str(tmp_path / (state or f"{name}-state")),
        commit_interval=1.0,
        poll_interval=1.0,
    )
    clock = FakeClock(START)
    return App(settings, clock=clock), clock, logs / "app.log"


def settle(app: App) -> None:
    """Tick until the loop has nothing more to do at this instant."""
    app.loop.after_wake(True)
    for _ in range(20):
        if app.loop.tick() > 0:
            return
    raise AssertionError("the loop never went idle")


def reload(app: App, clock: FakeClock, rules: Path, expected_help: str) -> None:
    """Until the loop has put the edited rules in force (the rules watch is real inotify: its
    event may come in after the clock moved, and restart the settle time)."""
    app.loop.rules_changed()
    for _ in range(50):
        clock.advance(0.2)
        settle(app)
        if app.core.store.defs["app_lines_total"].help == expected_help:
            return
        time.sleep(0.01)
    raise AssertionError(f"{rules} was never reloaded")


def firing(app: App) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    return sorted((a.detector, a.state, a.labels) for a in app.committer.anomalies.active)


def lines_at(second: int) -> int:
    """A noisy but repeatable rate: 0-3 lines a second, then a burst of 20 a second."""
    if 80 <= second < 83:
        return 20
    return (second * 7 + 3) % 4


def step(app: App, clock: FakeClock, log: Path, second: int) -> None:
    n = lines_at(second)
    if n:
        with open(log, "a") as f:
            f.write("".join(f"t={second} n={i}\n" for i in range(n)))
    settle(app)
    clock.advance(1.0)
    settle(app)


def test_a_spike_after_a_sigkill_mid_baseline_is_decided_as_without_the_kill(
    tmp_path: Path,
) -> None:
    calm, calm_clock, calm_log = make_app(tmp_path, "calm", SPIKE)
    first, first_clock, killed_log = make_app(tmp_path, "killed", SPIKE)
    calm.start()
    first.start()
    decisions: dict[int, list[object]] = {}
    try:
        for second in range(40):
            step(calm, calm_clock, calm_log, second)
            step(first, first_clock, killed_log, second)
        # SIGKILL: no shutdown, no last commit; what is on disk is all the next one gets
        first.close()
        second_app, second_clock, _ = make_app(tmp_path, "killed", SPIKE)
        second_clock.advance(40.0)
        second_app.start()
        try:
            for second in range(40, 95):
                step(calm, calm_clock, calm_log, second)
                step(second_app, second_clock, killed_log, second)
                decisions[second] = firing(calm)
                assert (second, firing(calm)) == (second, firing(second_app))
        finally:
            second_app.shutdown()
    finally:
        calm.shutdown()
    fired = [s for s, active in decisions.items() if active]
    assert fired and min(fired) == 80  # the burst fires at once: the baseline was full


def test_a_detector_started_fresh_at_the_restart_would_not_have_fired(tmp_path: Path) -> None:
    """What the test above proves: without the restored baseline, the burst is not judged."""
    app, clock, log = make_app(tmp_path, "fresh", SPIKE)
    clock.advance(40.0)
    app.start()
    try:
        for second in range(40, 95):
            step(app, clock, log, second)
            assert [] == firing(app)
    finally:
        app.shutdown()


def test_a_reload_keeps_the_window_of_an_unchanged_detector(tmp_path: Path) -> None:
    app, clock, log = make_app(tmp_path, "reload", BURST)
    app.start()
    try:
        log.write_text("a\nb\nc\nd\n")
        settle(app)
        clock.advance(1.0)
        settle(app)
        assert [] == firing(app)
        rules = tmp_path / "reload-rules.yaml"
        write_rules(rules, log.parent, BURST, help="Other help.")
        reload(app, clock, rules, "Other help.")
        with open(log, "a") as f:
            f.write("e\n")  # the fifth line in the window: only if the four were kept
        settle(app)
        clock.advance(1.0)
        settle(app)
        assert [("Burst", "firing", ())] == firing(app)
    finally:
        app.shutdown()


def test_a_changed_detector_starts_fresh_on_reload(tmp_path: Path) -> None:
    app, clock, log = make_app(tmp_path, "changed", BURST)
    app.start()
    try:
        log.write_text("a\nb\nc\nd\n")
        settle(app)
        clock.advance(1.0)
        settle(app)
        rules = tmp_path / "changed-rules.yaml"
        write_rules(rules, log.parent, BURST.replace("window: 30s", "window: 40s"), help="New.")
        reload(app, clock, rules, "New.")
        with open(log, "a") as f:
            f.write("e\n")
        settle(app)
        clock.advance(1.0)
        settle(app)
        assert [] == firing(app)  # 1 line in the new window, not 5
    finally:
        app.shutdown()


def test_an_absence_fires_with_no_input_and_shows_on_metrics_once_committed(tmp_path: Path) -> None:
    app, clock, log = make_app(tmp_path, "quiet", QUIET)
    app.start()
    try:
        for _ in range(4):
            clock.advance(1.0)
            settle(app)
        assert [] == firing(app)
        clock.advance(1.0)
        settle(app)
        assert [("Quiet", "firing", (("severity", "page"),))] == firing(app)
        text = generate_latest(app.registry).decode()
        assert 1.0 == sample_value(
            text, "logsidecar_anomaly", detector="Quiet", state="firing", severity="page"
        )
        assert 1.0 == sample_value(text, "logsidecar_anomalies_total", detector="Quiet")
        log.write_text("back\n")
        settle(app)
        clock.advance(1.0)
        settle(app)
        assert [] == firing(app)
        text = generate_latest(app.registry).decode()
        assert None is sample_value(text, "logsidecar_anomaly", detector="Quiet")
        assert 1.0 == sample_value(text, "logsidecar_anomaly_value", detector="Quiet")
        status = app.status.status()["detectors"]
        assert ["Quiet"] == [d["name"] for d in status]
        assert 1 == status[0]["went_firing"]
    finally:
        app.shutdown()


STAMPED = """\
version: 1
sources:
  - name: app
    paths: [{glob}]
    format: logfmt
{stamp}
rules:
  - name: all
    metrics:
      - counter: app_lines_total
        help: Lines.
detectors:
  - {{name: Jump, type: spike, rule: all, window: 10s, baseline: 60s, method: zscore,
     threshold: 3, direction: up, min_current: 5}}
"""


def backlog_after_restart(tmp_path: Path, stamped: bool) -> list[int]:
    """Steady lines, the sidecar killed at 100 s and back at 160 s, the app writing all along:
    the seconds after the restart at which the spike fired."""
    name = "stamped" if stamped else "unstamped"
    logs = tmp_path / f"{name}-logs"
    logs.mkdir()
    rules = tmp_path / f"{name}-rules.yaml"
    stamp = "    timestamp: {field: ts, format: unix}" if stamped else ""
    rules.write_text(STAMPED.format(glob=json.dumps(str(logs / "*.log")), stamp=stamp))
    log = logs / "app.log"

    def write(second: int) -> None:
        n = (second * 7 + 3) % 4
        with open(log, "a") as f:
            f.write("".join(f"ts={START + second} n={i}\n" for i in range(n)))

    first, clock, _ = make_app(tmp_path, name, "")
    first.start()
    for second in range(100):
        write(second)
        settle(first)
        clock.advance(1.0)
        settle(first)
    first.close()  # SIGKILL
    for second in range(100, 160):
        write(second)  # the app goes on; nobody reads
    second_app, clock, _ = make_app(tmp_path, name, "")
    clock.advance(160.0)
    second_app.start()
    fired = []
    try:
        for second in range(160, 200):
            write(second)
            settle(second_app)
            if firing(second_app):
                fired.append(second)
            clock.advance(1.0)
            settle(second_app)
    finally:
        second_app.shutdown()
    return fired


def test_a_backlog_read_after_a_restart_is_no_spike_when_lines_carry_their_time(
    tmp_path: Path,
) -> None:
    assert [] == backlog_after_restart(tmp_path, stamped=True)
    # without a timestamp the minute of backlog arrives at once: it looks like a burst
    assert [] != backlog_after_restart(tmp_path, stamped=False)
