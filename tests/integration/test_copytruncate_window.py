"""A line written in logrotate's copytruncate window, read by the sidecar before the truncation.

`copytruncate` copies the file, then truncates it: a line appended in between is in neither file.
If the sidecar read that line before the truncation, its offset is past the end of the copy. The
copy still starts with the bytes the sidecar read (same fingerprint): it is the copy of the file
it was reading, with nothing left in it to read. It must not be taken for an unseen generation
and read again from 0. The window is made by hand here (copy, append, truncate: what logrotate
does, with a line put in between on purpose); the torture found it with the real logrotate.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

from tests.integration.test_lost_lines import Case


@pytest.mark.parametrize("truncated", ["while-running", "while-down"])
def test_a_copy_shorter_than_the_offset_is_not_read_again(tmp_path: Path, truncated: str) -> None:
    case = Case(tmp_path)
    case.log.touch()
    case.append("before", 50)
    sidecar = case.sidecar()
    try:
        sidecar.wait_ready()
        sidecar.wait_for("app_lines_total", 50)
        # logrotate's copy: a new file, written now (copyfile, not copy2: its mtime is new), then
        shutil.copyfile(case.log, case.log.with_name("app.log.1"))
        case.append("window", 1)  # a line the copy does not hold
        sidecar.wait_for("app_lines_total", 51)  # read and committed: the offset is past the copy
        if truncated == "while-down":
            sidecar.stop(signal.SIGKILL)
        with open(case.log, "r+") as f:
            f.truncate(0)  # logrotate's truncation: the window line is now in no file
        case.append("after", 5)
        if truncated == "while-down":
            sidecar = case.sidecar()
            sidecar.wait_ready()
        assert 56 == case.written
        case.check(sidecar, unseen=0, what=f"a line in the copytruncate window, {truncated}")
    finally:
        sidecar.stop()
