import json
import os
from pathlib import Path

from logsidecar.checkpoint import FILENAME, Checkpoint


def test_state_round_trips(tmp_path: Path) -> None:
    cp = Checkpoint(tmp_path / "state")
    state = {"positions": [{"path": "/x", "offset": 3}], "metrics": {"a_total": {"series": []}}}
    size = cp.save(state)
    assert size == (tmp_path / "state" / FILENAME).stat().st_size
    assert {**state, "version": 1} == cp.load(0).state
    assert [FILENAME] == os.listdir(tmp_path / "state")  # no temp file left behind


def test_no_state_is_not_an_error(tmp_path: Path) -> None:
    result = Checkpoint(tmp_path).load(0)
    assert (None, None) == (result.state, result.moved_aside)


def test_a_corrupt_state_file_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_text('{"version": 1, "positions": [')
    result = Checkpoint(tmp_path).load(1234)
    assert None is result.state
    assert str(tmp_path / f"{FILENAME}.unusable-1234") == result.moved_aside
    assert result.reason.startswith("not valid JSON")
    assert not (tmp_path / FILENAME).exists()


def test_a_foreign_version_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_text(json.dumps({"version": 99}))
    result = Checkpoint(tmp_path).load(5)
    assert (None, "version 99, expected 1") == (result.state, result.reason)
