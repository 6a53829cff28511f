import gzip
import json
import os
import shutil
from pathlib import Path

from logsidecar.clock import FakeClock
from logsidecar.tail.stream import Position
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec


def lines_of(tailer: Tailer) -> list[str]:
    out: list[str] = []
    for _ in range(10):
        batches, more = tailer.poll()
        out.extend(line for b in batches for line in b.lines)
        if not more:
            break
    return out


def make(tmp_path: Path, clock: FakeClock, **options: float) -> Tailer:
    spec = WatchSpec("app", (str(tmp_path / "*.log"),), ("*.gz",))
    return Tailer([spec], clock, TailOptions(**options))  # type: ignore[arg-type]


def test_reads_existing_and_new_files_and_only_complete_lines(tmp_path: Path) -> None:
    clock = FakeClock()
    (tmp_path / "a.log").write_text("one\ntwo\npart")
    tailer = make(tmp_path, clock)
    assert ["one", "two"] == lines_of(tailer)
    with open(tmp_path / "a.log", "a") as f:
        f.write("ial\n")
    (tmp_path / "b.log").write_text("new file\n")
    (tmp_path / "c.gz").write_text("excluded\n")
    assert ["new file", "partial"] == sorted(lines_of(tailer))


def test_a_partial_line_is_flushed_after_quiet(tmp_path: Path) -> None:
    clock = FakeClock()
    (tmp_path / "a.log").write_text("no newline")
    tailer = make(tmp_path, clock, partial_timeout=5.0)
    assert [] == lines_of(tailer)
    clock.advance(4.9)
    assert [] == lines_of(tailer)
    clock.advance(0.2)
    assert ["no newline"] == lines_of(tailer)


def test_truncation_restarts_at_zero_and_is_counted(tmp_path: Path) -> None:
    clock = FakeClock()
    log = tmp_path / "a.log"
    log.write_text("first\nsecond\n")
    tailer = make(tmp_path, clock)
    assert ["first", "second"] == lines_of(tailer)
    log.write_text("x\n")  # truncates, then writes less than before
    assert ["x"] == lines_of(tailer)
    assert {"app": 1} == dict(tailer.take_stats().truncations)


def test_rename_rotation_drains_the_old_file_then_reads_the_new(tmp_path: Path) -> None:
    clock = FakeClock()
    log = tmp_path / "a.log"
    log.write_text("1\n")
    tailer = make(tmp_path, clock, rotate_wait=5.0)
    assert ["1"] == lines_of(tailer)
    with open(log, "a") as f:
        f.write("2\n")
    os.rename(log, tmp_path / "a.log.1")  # excluded from the glob, still drained
    log.write_text("3\n")
    assert ["2", "3"] == sorted(lines_of(tailer))
    with open(tmp_path / "a.log.1", "a") as f:
        f.write("late\n")  # a writer that has not reopened yet
    assert ["late"] == lines_of(tailer)
    clock.advance(6)
    lines_of(tailer)
    assert [str(log)] == [s.path for s in tailer.streams.values()]
    assert {"app": 1} == dict(tailer.take_stats().rotations)


def test_start_at_end_skips_what_existed_at_start_only(tmp_path: Path) -> None:
    clock = FakeClock()
    (tmp_path / "old.log").write_text("old\n")
    spec = WatchSpec("app", (str(tmp_path / "*.log"),), (), "end")
    tailer = Tailer([spec], clock, TailOptions())
    assert [] == lines_of(tailer)
    (tmp_path / "new.log").write_text("new\n")
    with open(tmp_path / "old.log", "a") as f:
        f.write("more\n")
    assert ["more", "new"] == sorted(lines_of(tailer))


def test_a_directory_that_does_not_exist_yet_is_picked_up(tmp_path: Path) -> None:
    clock = FakeClock()
    spec = WatchSpec("app", (str(tmp_path / "later" / "*.log"),))
    tailer = Tailer([spec], clock, TailOptions())
    assert [] == lines_of(tailer)
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "x.log").write_text("hello\n")
    assert ["hello"] == lines_of(tailer)


def test_lag_is_what_was_written_and_not_read(tmp_path: Path) -> None:
    clock = FakeClock()
    (tmp_path / "a.log").write_bytes(b"x" * 10 + b"\n")
    tailer = make(tmp_path, clock)
    lines_of(tailer)
    with open(tmp_path / "a.log", "ab") as f:
        f.write(b"12345")
    assert {str(tmp_path / "a.log"): 5} == tailer.lag()


def test_copytruncate_reads_the_unread_rest_from_the_copy_then_restarts(tmp_path: Path) -> None:
    clock = FakeClock()
    log = tmp_path / "a.log"
    log.write_text("1\n")
    tailer = make(tmp_path, clock)
    assert ["1"] == lines_of(tailer)
    with open(log, "a") as f:
        f.write("2\n3\npart")  # written, not read yet
    shutil.copyfile(log, tmp_path / "a.log.1")  # what logrotate's copytruncate does
    with open(log, "r+") as f:
        f.truncate(0)
    with open(log, "a") as f:
        f.write("4\n")
    assert ["2", "3", "4"] == sorted(lines_of(tailer))
    assert ["part"] == lines_after_quiet(tailer, clock)  # the copy is drained, then closed
    assert {"app": 1} == dict(tailer.take_stats().truncations)


def test_a_file_replaced_by_longer_content_is_read_from_zero(tmp_path: Path) -> None:
    clock = FakeClock()
    log = tmp_path / "a.log"
    log.write_text("old\n")
    tailer = make(tmp_path, clock)
    assert ["old"] == lines_of(tailer)
    with open(log, "r+") as f:  # same inode, new content longer than what we read
        f.write("NEW1\nNEW2\n")
    assert ["NEW1", "NEW2"] == lines_of(tailer)


def test_a_rename_to_a_name_the_globs_match_is_not_read_twice(tmp_path: Path) -> None:
    clock = FakeClock()
    spec = WatchSpec("app", (str(tmp_path / "a.log*"),))
    tailer = Tailer([spec], clock, TailOptions())
    log = tmp_path / "a.log"
    log.write_text("1\n2\n")
    assert ["1", "2"] == lines_of(tailer)
    os.rename(log, tmp_path / "a.log.1")
    log.write_text("3\n")
    with open(tmp_path / "a.log.1", "a") as f:
        f.write("late\n")
    clock.advance(10)
    assert ["3", "late"] == sorted(lines_of(tailer))
    clock.advance(10)
    assert [] == lines_of(tailer)
    assert sorted([str(log), str(tmp_path / "a.log.1")]) == sorted(tailer.lag())


def restart(tailer: Tailer, tmp_path: Path, clock: FakeClock) -> Tailer:
    section = json.loads(json.dumps(tailer.to_state()))
    tailer.close()
    spec = WatchSpec("app", (str(tmp_path / "*.log"),), ("*.gz",))
    restarted = Tailer([spec], clock, TailOptions())
    restarted.restore(section)
    return restarted


def test_restart_continues_where_it_stood(tmp_path: Path) -> None:
    clock = FakeClock()
    log = tmp_path / "a.log"
    log.write_text("1\n2\npar")
    tailer = make(tmp_path, clock)
    assert ["1", "2"] == lines_of(tailer)
    tailer = restart(tailer, tmp_path, clock)
    with open(log, "a") as f:
        f.write("tial\n3\n")
    assert ["partial", "3"] == lines_of(tailer)


def stopped_after_one_line(tmp_path: Path, clock: FakeClock) -> list[Position]:
    """a.log holds "1", read by a tailer that then stopped: its committed positions."""
    (tmp_path / "a.log").write_text("1\n")
    tailer = make(tmp_path, clock)
    assert ["1"] == lines_of(tailer)
    positions = [Position.from_json(p.to_json()) for p in tailer.positions()]
    tailer.close()
    return positions


def started_from(positions: list[Position], clock: FakeClock, *globs: Path) -> Tailer:
    """A tailer restored from the old (version-1) form of the state: positions only."""
    spec = WatchSpec("app", tuple(str(g) for g in globs))
    tailer = Tailer([spec], clock, TailOptions())
    tailer.restore({"positions": [p.to_json() for p in positions]})
    return tailer


def test_a_rename_rotation_while_down_is_read_to_its_end(tmp_path: Path) -> None:
    clock = FakeClock()
    positions = stopped_after_one_line(tmp_path, clock)
    log = tmp_path / "a.log"
    with open(log, "a") as f:
        f.write("2\n")
    os.rename(log, tmp_path / "a.log.1")  # not matched by *.log
    log.write_text("3\n")
    tailer = started_from(positions, clock, tmp_path / "*.log")
    assert ["2", "3"] == sorted(lines_of(tailer))


def test_a_copytruncate_while_down_is_recovered_from_the_copy(tmp_path: Path) -> None:
    clock = FakeClock()
    positions = stopped_after_one_line(tmp_path, clock)
    log = tmp_path / "a.log"
    with open(log, "a") as f:
        f.write("2\n")
    shutil.copyfile(log, tmp_path / "a.log.1")
    with open(log, "r+") as f:
        f.truncate(0)
    tailer = started_from(positions, clock, tmp_path / "*.log")
    with open(log, "a") as f:
        f.write("3\n")
    assert ["2", "3"] == sorted(lines_of(tailer))


def test_a_compressed_rotation_while_down_is_read_from_the_gz(tmp_path: Path) -> None:
    clock = FakeClock()
    positions = stopped_after_one_line(tmp_path, clock)
    log = tmp_path / "a.log"
    with open(log, "a") as f:
        f.write("2\n")
    with open(log, "rb") as src, gzip.open(tmp_path / "a.log.1.gz", "wb") as dst:
        dst.write(src.read())
    log.unlink()
    log.write_text("3\n")
    tailer = started_from(positions, clock, tmp_path / "*.log")
    assert ["2", "3"] == sorted(lines_of(tailer))
    assert [] == tailer.stats.lost


def test_a_checkpointed_file_that_is_gone_is_reported(tmp_path: Path) -> None:
    clock = FakeClock()
    positions = stopped_after_one_line(tmp_path, clock)
    (tmp_path / "a.log").unlink()
    tailer = started_from(positions, clock, tmp_path / "a.log")
    assert [str(tmp_path / "a.log")] == tailer.take_stats().lost


def lines_after_quiet(tailer: Tailer, clock: FakeClock) -> list[str]:
    clock.advance(10)
    return lines_of(tailer)


def test_a_retargeted_symlink_drains_the_old_target_then_reads_the_new(tmp_path: Path) -> None:
    clock = FakeClock()
    (tmp_path / "pods").mkdir()
    old, new = tmp_path / "pods" / "0.log", tmp_path / "pods" / "1.log"
    old.write_text("a\n")
    link = tmp_path / "c.log"
    link.symlink_to(old)
    tailer = make(tmp_path, clock)
    assert ["a"] == lines_of(tailer)
    with open(old, "a") as f:
        f.write("b\n")
    new.write_text("c\n")
    tmp_link = tmp_path / "c.log.tmp"
    tmp_link.symlink_to(new)
    tmp_link.replace(link)  # how a container runtime swaps the link
    assert ["b", "c"] == sorted(lines_of(tailer))


def test_one_poll_reads_at_most_its_budget_and_says_there_is_more(tmp_path: Path) -> None:
    clock = FakeClock()
    for name in "abc":
        (tmp_path / f"{name}.log").write_bytes(b"x" * 99 + b"\n" * 1)
        with open(tmp_path / f"{name}.log", "ab") as f:
            f.write((b"y" * 99 + b"\n") * 50)
    spec = WatchSpec("app", (str(tmp_path / "*.log"),))
    opts = TailOptions(block_bytes=1000, budget_bytes=2000, poll_budget_bytes=3000)
    tailer = Tailer([spec], clock, opts)
    batches, more = tailer.poll()
    assert (True, 4000) == (more, sum(b.nbytes for b in batches))
    assert 3 * 51 == len(lines_of(tailer)) + sum(len(b.lines) for b in batches)
