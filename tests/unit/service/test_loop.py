"""The loop, a tick at a time, on real files with a fake clock: when it commits, publishes and
reads."""

from __future__ import annotations

import json
from pathlib import Path

from logsidecar.app import App
from logsidecar.clock import FakeClock
from logsidecar.settings import Settings
from tests.helpers import every_line_rules


def make_app(
    tmp_path: Path, state: bool = True, help: str = "Lines."
) -> tuple[App, FakeClock, Path]:
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    rules = tmp_path / "rules.yaml"
    rules.write_text(every_line_rules(logs / "*.log", help))
    settings = Settings(
        rules=str(rules),
        port=0,
        listen_address="127.0.0.1",
        state_dir=str(tmp_path / "state") if state else None,
        commit_interval=5.0,
    )
    clock = FakeClock()
    app = App(settings, clock=clock)
    return app, clock, logs / "app.log"


def lines_counted(app: App) -> float | None:
    series = app.committer.published.series.get("app_lines_total")
    return None if series is None else series.get((), 0.0)


def test_a_new_file_is_committed_before_a_byte_of_it_is_read(tmp_path: Path) -> None:
    app, _clock, log = make_app(tmp_path)
    app.start()
    try:
        log.write_text("a\nb\n")
        app.loop.after_wake(True)  # as a watch event would
        assert 0.0 == app.loop.tick()  # found, not read: committed at once, go on at once
        state = json.loads((tmp_path / "state" / "logsidecar-state.json").read_text())
        assert [str(log)] == [p["path"] for p in state["tail"]["positions"]]
        assert 0.0 == app.core.store.snapshot().series["app_lines_total"].get((), 0.0)
        app.loop.tick()  # read now
        assert 2.0 == app.core.store.snapshot().series["app_lines_total"][()]
    finally:
        app.shutdown()


def test_a_reload_publishes_nothing_until_the_next_commit(tmp_path: Path) -> None:
    app, clock, log = make_app(tmp_path)
    log.write_text("a\n")
    app.start()
    try:
        while app.loop.tick() == 0.0:
            pass
        clock.advance(5.0)
        app.loop.tick()
        assert 1.0 == lines_counted(app)
        published = app.committer.published
        (tmp_path / "rules.yaml").write_text(
            (tmp_path / "rules.yaml").read_text().replace("help: Lines.", "help: New help.")
        )
        app.loop.rules_changed()
        app.loop.tick()
        assert "Lines." == app.core.store.defs["app_lines_total"].help  # the burst may go on
        clock.advance(0.2)
        app.loop.tick()
        assert "New help." == app.core.store.defs["app_lines_total"].help  # in force
        assert published is app.committer.published  # but not published: no commit yet
        clock.advance(4.8)
        app.loop.tick()
        assert "New help." == app.committer.published.defs["app_lines_total"].help
        assert 1.0 == lines_counted(app)
    finally:
        app.shutdown()


def test_without_a_state_dir_files_are_read_at_once(tmp_path: Path) -> None:
    app, _clock, log = make_app(tmp_path, state=False)
    log.write_text("a\n")
    app.start()
    try:
        app.loop.tick()
        assert 1.0 == app.core.store.snapshot().series["app_lines_total"][()]
    finally:
        app.shutdown()
