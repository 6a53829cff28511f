"""durable_first: no byte of a file is read before its identity is committed (issue bug 1)."""

import json
import os
from pathlib import Path

from logsidecar.clock import FakeClock
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec
from tests.unit.tail.support import Sidecar, lines_of, write


def test_killed_before_the_first_commit_then_renamed_loses_no_line(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, *(f"a{i}" for i in range(50)))
    write(log, *(f"b{i}" for i in range(50)))
    sidecar = Sidecar(tmp_path)
    assert 100 == len(sidecar.read())  # the one commit: app.log's identity, before any read
    sidecar.kill()  # never committed after reading
    os.rename(log, tmp_path / "app.log.1")
    write(log, *(f"c{i}" for i in range(5)))
    assert 105 == len(sidecar.restart())


def test_a_new_file_is_read_only_after_a_commit_included_it(tmp_path: Path) -> None:
    spec = WatchSpec("app", (str(tmp_path / "*.log"),))
    tailer = Tailer([spec], FakeClock(), TailOptions(durable_first=True))
    tailer.restore({})
    write(tmp_path / "a.log", "1")
    assert [] == lines_of(tailer)
    assert tailer.awaiting_commit
    section = json.loads(json.dumps(tailer.to_state()))
    assert [(str(tmp_path / "a.log"), 0)] == [
        (p["path"], p["offset"]) for p in section["positions"]
    ]
    write(tmp_path / "b.log", "2")  # found after that to_state(): not made readable by it
    assert [] == lines_of(tailer)
    tailer.committed()
    assert ["1"] == lines_of(tailer)
    assert tailer.awaiting_commit  # b.log still waits
    tailer.to_state()
    tailer.committed()
    assert ["2"] == lines_of(tailer)
    assert not tailer.awaiting_commit


def test_without_durable_first_a_new_file_is_read_at_once(tmp_path: Path) -> None:
    spec = WatchSpec("app", (str(tmp_path / "*.log"),))
    tailer = Tailer([spec], FakeClock(), TailOptions())
    write(tmp_path / "a.log", "1")
    assert (["1"], False) == (lines_of(tailer), tailer.awaiting_commit)


def test_the_constructor_does_no_io(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "1")
    spec = WatchSpec("app", (str(tmp_path / "app.log"),))
    tailer = Tailer([spec], FakeClock(), TailOptions())
    assert {} == tailer.streams
    tailer.restore({})
    assert {} == tailer.streams
    assert ["1"] == lines_of(tailer)


def test_a_file_renamed_away_before_its_first_commit_is_read_after_it(tmp_path: Path) -> None:
    sidecar = Sidecar(tmp_path)
    write(tmp_path / "app.log", "1", "2")
    assert [] == lines_of(sidecar.tailer)  # found, not read  # found, not committed yet
    state = json.loads(json.dumps(sidecar.tailer.to_state()))
    os.rename(tmp_path / "app.log", tmp_path / "app.log.1")
    write(tmp_path / "app.log", "3")
    write(tmp_path / "app.log.1", "late")
    sidecar.tailer.committed()
    assert ["1", "2", "late", "3"] == sidecar.read()
    sidecar.kill()
    sidecar.state = state  # a crash right after that commit
    assert ["1", "2", "late", "3"] == sidecar.restart()
