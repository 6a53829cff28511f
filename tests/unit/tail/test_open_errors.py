"""A file the globs match but that cannot be opened is counted once per failure episode, logged
once, retried, and read once it can be (issue bug 4).

Tests run as root, which opens any file whatever its mode; so the tailer runs in a child process
that drops to `nobody` (once its imports are done: the interpreter lives under root's 0700 home),
on files in a directory it can reach."""

import json
import os
import pwd
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT

CHILD = r"""
import json, os, sys
import structlog
from structlog.testing import capture_logs
from logsidecar.clock import FakeClock
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec

directory, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.setgroups([])
os.setgid(gid)
os.setuid(uid)  # everything is imported: from here on, we are nobody
log = os.path.join(directory, "app.log")
tailer = Tailer([WatchSpec("app", (log,))], FakeClock(), TailOptions())
out = {}
def poll():
    batches, _ = tailer.poll()
    return [line for b in batches for line in b.lines]
with capture_logs() as logs:
    out["unreadable"] = [poll(), poll(), poll()]
    out["errors_1"] = dict(tailer.take_stats().open_errors)
    os.chmod(log, 0o644)  # we own it: we may make it readable
    out["readable"] = poll()
    os.chmod(log, 0o000)  # open already: no new open, no error
    out["open_already"] = poll()
    out["errors_2"] = dict(tailer.take_stats().open_errors)
    os.chmod(log, 0o644)
    os.rename(log, log + ".1")
    with open(log, "w") as f:  # a new file, unreadable: a new episode
        f.write("new\n")
    os.chmod(log, 0o000)
    out["new_file"] = [poll(), poll()]
    out["errors_3"] = dict(tailer.take_stats().open_errors)
out["logs"] = [e for e in logs if e["event"] == "file_open_failed"]
print(json.dumps(out))
"""


RESTORE_CHILD = r"""
import json, os, sys
from logsidecar.clock import FakeClock
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec

directory, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.setgroups([])
os.setgid(gid)
os.setuid(uid)
log = os.path.join(directory, "app.log")
spec = WatchSpec("app", (log,))
def poll(tailer):
    batches, _ = tailer.poll()
    return [line for b in batches for line in b.lines]
out = {}
tailer = Tailer([spec], FakeClock(), TailOptions())
out["first"] = poll(tailer)
state = json.loads(json.dumps(tailer.to_state()))
tailer.close()
with open(log, "a") as f:
    f.write("3\n")
os.chmod(log, 0o000)  # unreadable when the sidecar comes back
tailer = Tailer([spec], FakeClock(), TailOptions())
tailer.restore(state)
out["unreadable"] = [poll(tailer), poll(tailer)]
out["kept"] = [(p["path"], p["offset"]) for p in tailer.to_state()["positions"]]
out["stats"] = [dict(tailer.stats.open_errors), tailer.stats.lost]
os.chmod(log, 0o644)
out["readable"] = poll(tailer)
print(json.dumps(out))
"""


def run_as_nobody(script: str, directory: Path) -> dict[str, Any]:
    nobody = pwd.getpwnam("nobody")
    result = subprocess.run(
        [sys.executable, "-c", script, str(directory), str(nobody.pw_uid), str(nobody.pw_gid)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 0 == result.returncode, result.stderr
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


@pytest.fixture
def reachable_dir() -> Iterator[Path]:
    """A directory `nobody` can enter (pytest's tmp_path is under root's 0700 dirs)."""
    path = Path(tempfile.mkdtemp(prefix="logsidecar-open-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for child in path.iterdir():
            child.unlink()
        path.rmdir()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_an_unreadable_file_is_counted_once_logged_once_and_read_when_readable(
    reachable_dir: Path,
) -> None:
    nobody = pwd.getpwnam("nobody")
    log = reachable_dir / "app.log"
    log.write_text("1\n2\n")
    os.chown(log, nobody.pw_uid, nobody.pw_gid)
    log.chmod(0o000)
    os.chown(reachable_dir, nobody.pw_uid, nobody.pw_gid)  # it renames and creates there
    out = run_as_nobody(CHILD, reachable_dir)
    assert [[], [], []] == out["unreadable"]
    assert {"app": 1} == out["errors_1"]  # three polls, one episode
    assert ["1", "2"] == out["readable"]
    assert ([], {}) == (out["open_already"], out["errors_2"])
    assert [[], []] == out["new_file"]
    assert {"app": 1} == out["errors_3"]
    assert [(str(log), "app")] * 2 == [(e["path"], e["source"]) for e in out["logs"]]
    assert all("Permission denied" in e["error"] for e in out["logs"])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_a_checkpointed_file_unreadable_at_the_restore_goes_on_from_its_offset(
    reachable_dir: Path,
) -> None:
    nobody = pwd.getpwnam("nobody")
    log = reachable_dir / "app.log"
    log.write_text("1\n2\n")
    os.chown(log, nobody.pw_uid, nobody.pw_gid)
    out = run_as_nobody(RESTORE_CHILD, reachable_dir)
    assert ["1", "2"] == out["first"]
    assert [[], []] == out["unreadable"]
    assert [[str(log), 4]] == out["kept"]  # still committed where it stood
    assert [{"app": 1}, []] == out["stats"]
    assert ["3"] == out["readable"]  # not "1", "2" again
