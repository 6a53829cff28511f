"""Rotations faster than the polls: every generation in between is read (siblings of bug 2), and
a file seen only while empty still has its copytruncate copy found (bug 3)."""

import os
import shutil
from pathlib import Path

from logsidecar.clock import FakeClock
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec
from tests.unit.tail.support import Sidecar, copytruncate, lines_of, rotate_create, write


def tailer_of(tmp_path: Path, clock: FakeClock | None = None) -> Tailer:
    spec = WatchSpec("app", (str(tmp_path / "app.log"),))
    return Tailer([spec], clock or FakeClock(), TailOptions())


def test_two_create_rotations_between_polls_lose_no_generation(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "1")
    tailer = tailer_of(tmp_path)
    assert ["1"] == lines_of(tailer)
    write(tmp_path / "app.log", "2")
    rotate_create(tmp_path, "3")
    rotate_create(tmp_path, "4")
    rotate_create(tmp_path, "5")
    assert ["2", "3", "4", "5"] == lines_of(tailer)
    stats = tailer.take_stats()
    assert ({"app": 2}, {"app": 2}) == (dict(stats.generations), dict(stats.generation_lines))


def test_two_copytruncates_between_polls_lose_no_copy(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "1")
    tailer = tailer_of(tmp_path)
    assert ["1"] == lines_of(tailer)
    write(tmp_path / "app.log", "2")
    copytruncate(tmp_path, "3")
    copytruncate(tmp_path, "4")
    assert ["2", "3", "4"] == lines_of(tailer)
    stats = tailer.take_stats()
    assert ({"app": 1}, {"app": 1}) == (dict(stats.recovered), dict(stats.generations))


def test_a_copy_holding_just_what_was_read_still_anchors_the_newer_ones(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "1")
    tailer = tailer_of(tmp_path)
    assert ["1"] == lines_of(tailer)
    copytruncate(tmp_path, "2")  # app.log.1 holds only "1", already read
    copytruncate(tmp_path, "3")
    assert ["2", "3"] == lines_of(tailer)


def test_a_file_seen_only_empty_and_copytruncated_before_the_next_read(tmp_path: Path) -> None:
    (tmp_path / "app.log").touch()
    tailer = tailer_of(tmp_path)
    assert [] == lines_of(tailer)
    write(tmp_path / "app.log", "1", "2")
    copytruncate(tmp_path, "3")
    assert ["1", "2", "3"] == lines_of(tailer)
    stats = tailer.take_stats()
    assert ({"app": 1}, {"app": 1}) == (dict(stats.truncations), dict(stats.recovered))


def test_a_file_seen_empty_then_copytruncated_twice(tmp_path: Path) -> None:
    (tmp_path / "app.log").touch()
    tailer = tailer_of(tmp_path)
    assert [] == lines_of(tailer)
    write(tmp_path / "app.log", "1")
    copytruncate(tmp_path, "2")
    copytruncate(tmp_path, "3")
    assert ["1", "2", "3"] == lines_of(tailer)


def test_a_file_seen_empty_does_not_take_an_older_closed_generation(tmp_path: Path) -> None:
    clock = FakeClock()
    write(tmp_path / "app.log", "1")
    spec = WatchSpec("app", (str(tmp_path / "app.log"),))
    tailer = Tailer([spec], clock, TailOptions(rotate_wait=1.0))
    assert ["1"] == lines_of(tailer)
    rotate_create(tmp_path)  # a new, empty app.log
    assert [] == lines_of(tailer)
    clock.advance(2)
    assert [] == lines_of(tailer)  # app.log.1 closed
    write(tmp_path / "app.log.1", "late")  # a writer that never reopened: after the close
    write(tmp_path / "app.log", "2")
    assert ["2"] == lines_of(tailer)


def test_a_file_seen_empty_and_written_is_just_read(tmp_path: Path) -> None:
    write(tmp_path / "app.log.1", "old")  # rotated before we started: not ours to read
    (tmp_path / "app.log").touch()
    tailer = tailer_of(tmp_path)
    assert [] == lines_of(tailer)
    write(tmp_path / "app.log", "1")
    assert ["1"] == lines_of(tailer)
    assert not tailer.take_stats()


def test_restart_a_file_committed_empty_then_copytruncated_while_down(tmp_path: Path) -> None:
    (tmp_path / "app.log").touch()
    sidecar = Sidecar(tmp_path)
    assert [] == sidecar.read()
    sidecar.commit()
    sidecar.kill()
    write(tmp_path / "app.log", "1")
    copytruncate(tmp_path, "2")
    copytruncate(tmp_path, "3")
    assert ["1", "2", "3"] == sidecar.restart()


def test_restart_a_file_committed_empty_keeps_older_generations_unread(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "1")
    sidecar = Sidecar(tmp_path, rotate_wait=1.0)
    assert ["1"] == sidecar.read()
    rotate_create(tmp_path)
    write(tmp_path / "app.log.1", "late")
    assert ["late"] == sidecar.read()
    sidecar.clock.advance(2)
    sidecar.read()  # app.log.1 closed
    sidecar.commit()  # app.log: empty
    sidecar.kill()
    write(tmp_path / "app.log.1", "later")  # after the close: lost, but nothing read twice
    write(tmp_path / "app.log", "2")
    assert ["2"] == sidecar.restart()


def test_restart_a_file_committed_empty_then_renamed_while_down(tmp_path: Path) -> None:
    (tmp_path / "app.log").touch()
    sidecar = Sidecar(tmp_path)
    assert [] == sidecar.read()
    sidecar.commit()
    sidecar.kill()
    write(tmp_path / "app.log", "1")
    rotate_create(tmp_path, "2")
    rotate_create(tmp_path, "3")
    assert ["1", "2", "3"] == sidecar.restart()


def test_a_checkpointed_file_deleted_while_down_anchors_by_its_mtime(tmp_path: Path) -> None:
    sidecar = Sidecar(tmp_path, rotate_wait=1.0)
    write(tmp_path / "app.log", "1")
    assert ["1"] == sidecar.read()
    sidecar.commit()
    sidecar.kill()
    for new in ("2", "3", "4", "5", "6", "7"):  # `rotate 5`: ours deleted at the sixth
        rotate_create(tmp_path, new)
    assert ["2", "3", "4", "5", "6", "7"] == sidecar.restart()
    assert [str(tmp_path / "app.log")] == sidecar.tailer.take_stats().lost


def copytruncate_with_a_line_in_the_window(directory: Path) -> None:
    """logrotate's copy, then a line appended before its truncation: that line is in no file."""
    shutil.copyfile(directory / "app.log", directory / "app.log.1")
    write(directory / "app.log", "window")


def test_a_copy_shorter_than_what_was_read_is_not_read_again(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "1", "2")
    tailer = tailer_of(tmp_path)
    assert ["1", "2"] == lines_of(tailer)
    copytruncate_with_a_line_in_the_window(tmp_path)
    assert ["window"] == lines_of(tailer)
    os.truncate(tmp_path / "app.log", 0)
    write(tmp_path / "app.log", "3")
    assert ["3"] == lines_of(tailer)
    copy = tmp_path / "app.log.1"  # its mtime as coarse as the kernel's clock may make it:
    os.utime(copy, ns=(0, os.stat(tmp_path / "app.log").st_mtime_ns + 1))  # not older than ours
    os.truncate(tmp_path / "app.log", 0)  # truncated again, no copy: searched for by time
    write(tmp_path / "app.log", "4")
    assert ["4"] == lines_of(tailer)
    assert not tailer.take_stats().generations


def test_a_copy_shorter_than_the_committed_offset_is_not_read_again(tmp_path: Path) -> None:
    # The checkpoint knows the head by its digest: the copy must hold all of it (1 KiB here).
    first = [f"{i:03d}" + "x" * 60 for i in range(20)]
    write(tmp_path / "app.log", *first)
    sidecar = Sidecar(tmp_path)
    assert first == sidecar.read()
    copytruncate_with_a_line_in_the_window(tmp_path)
    assert ["window"] == sidecar.read()
    sidecar.commit()
    sidecar.kill()
    os.truncate(tmp_path / "app.log", 0)
    write(tmp_path / "app.log", "3")
    copytruncate(tmp_path, "4")  # and one more: its copy is newer than ours, read from 0
    assert ["3", "4"] == sidecar.restart()


def test_a_file_deleted_then_its_successor_rotated_before_a_poll(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "1")
    tailer = tailer_of(tmp_path)
    assert ["1"] == lines_of(tailer)
    os.unlink(tmp_path / "app.log")  # the app deleted its log and started a new one
    write(tmp_path / "app.log", "2")
    rotate_create(tmp_path, "3")  # and that one was rotated before the next poll
    assert ["2", "3"] == lines_of(tailer)
    assert {"app": 1} == dict(tailer.take_stats().generations)


def test_a_small_file_s_copy_shorter_than_its_committed_head_is_not_read_again(
    tmp_path: Path,
) -> None:
    # Under 1 KiB, the whole file is the head: the copy made before our last line lacks part of
    # it, so the committed head itself (not only its digest) tells the copy is ours.
    write(tmp_path / "app.log", "1", "2")
    sidecar = Sidecar(tmp_path)
    assert ["1", "2"] == sidecar.read()
    copytruncate_with_a_line_in_the_window(tmp_path)
    assert ["window"] == sidecar.read()
    sidecar.commit()
    sidecar.kill()
    os.truncate(tmp_path / "app.log", 0)
    write(tmp_path / "app.log", "3")
    assert ["3"] == sidecar.restart()
