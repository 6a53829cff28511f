"""The state document: sections round-trip, version 1 migrates, a newer version is refused."""

import json
from pathlib import Path

import pytest

from logsidecar.checkpoint import FILENAME
from logsidecar.errors import StateError
from logsidecar.state import VERSION, StateDocument, StateFile

# What logsidecar 0.1 (state version 1) wrote: one flat object.
V1 = {
    "version": 1,
    "written_at": 1700000000.5,
    "rules_digest": "abc",
    "positions": [
        {"source": "app", "path": "/logs/app.log", "dev": 1, "ino": 2, "head_len": 4,
         "head_digest": "d", "offset": 10, "skipping": False, "draining": False}
    ],
    "metrics": {"hits_total": {"kind": "counter", "labels": [], "buckets": [], "series": [[[], 3.0]]}},
    "pending_events": {"app": [{"path": "/logs/app.log", "lines": ["a"], "last": 1.0}]},
}  # fmt: skip


def test_sections_round_trip(tmp_path: Path) -> None:
    doc = StateDocument(
        written_at=5.0,
        rules_digest="d",
        tail={"positions": [{"offset": 1}]},
        metrics={"m_total": {"kind": "counter", "labels": [], "series": []}},
        pending_events={"app": []},
        detectors={"Burst": {"window": [1, 2]}},
    )
    state = StateFile(str(tmp_path))
    state.save(doc)
    loaded = state.load(6.0)
    assert (doc, None) == (loaded.document, loaded.migrated_from)
    assert VERSION == json.loads((tmp_path / FILENAME).read_text())["version"]


def test_a_version_1_file_is_migrated_section_by_section(tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_text(json.dumps(V1))
    loaded = StateFile(str(tmp_path)).load(0.0)
    expected = StateDocument(
        written_at=V1["written_at"],
        rules_digest="abc",
        tail={"positions": V1["positions"]},
        metrics=V1["metrics"],
        pending_events=V1["pending_events"],
    )
    assert (expected, 1) == (loaded.document, loaded.migrated_from)


def test_a_newer_version_is_refused_and_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    path.write_text(json.dumps({"version": VERSION + 1, "written_at": 1.0}))
    with pytest.raises(
        StateError, match=f"state file version {VERSION + 1} is newer than this logsidecar reads"
    ):
        StateFile(str(tmp_path)).load(0.0)
    assert path.exists()


def test_a_document_of_the_wrong_shape_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_text(
        json.dumps({"version": VERSION, "written_at": "yesterday", "rules_digest": "x"})
    )
    loaded = StateFile(str(tmp_path)).load(77.0)
    assert None is loaded.document
    assert str(tmp_path / f"{FILENAME}.unusable-77") == loaded.moved_aside
    assert loaded.reason.startswith("written_at: ")


def test_an_unreadable_state_directory_is_a_state_error(tmp_path: Path) -> None:
    (tmp_path / FILENAME).mkdir()  # a directory where the file should be: reading it fails
    with pytest.raises(StateError, match="cannot read"):
        StateFile(str(tmp_path)).load(0.0)


@pytest.mark.parametrize("version", [None, "2", 0, True])
def test_a_version_never_written_is_not_a_state_document_and_is_moved_aside(
    tmp_path: Path, version: object
) -> None:
    raw = {"written_at": 1.0, "rules_digest": "x"}
    if version is not None:
        raw["version"] = version
    (tmp_path / FILENAME).write_text(json.dumps(raw))
    loaded = StateFile(str(tmp_path)).load(9.0)
    assert (None, str(tmp_path / f"{FILENAME}.unusable-9")) == (loaded.document, loaded.moved_aside)
    assert f"version {version!r}: not a logsidecar state document" == loaded.reason
