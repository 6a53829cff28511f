import json
import os
from pathlib import Path

from logsidecar.checkpoint import FILENAME, Checkpoint


def test_state_round_trips(tmp_path: Path) -> None:
    cp = Checkpoint(tmp_path / "state")
    state = {"version": 2, "tail": {"positions": [{"path": "/x", "offset": 3}]}}
    size = cp.save(state)
    assert size == (tmp_path / "state" / FILENAME).stat().st_size
    assert (state, None, "") == cp.load(0)
    assert [FILENAME] == os.listdir(tmp_path / "state")  # no temp file left behind


def test_no_state_is_not_an_error(tmp_path: Path) -> None:
    assert (None, None, "") == Checkpoint(tmp_path).load(0)


def test_a_corrupt_state_file_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_text('{"version": 1, "positions": [')
    state, aside, reason = Checkpoint(tmp_path).load(1234)
    assert None is state
    assert str(tmp_path / f"{FILENAME}.unusable-1234") == aside
    assert reason.startswith("not valid JSON")
    assert not (tmp_path / FILENAME).exists()


def test_a_json_value_that_is_not_an_object_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_text(json.dumps([1, 2]))
    assert (None, str(tmp_path / f"{FILENAME}.unusable-5"), "not a JSON object") == Checkpoint(
        tmp_path
    ).load(5)
