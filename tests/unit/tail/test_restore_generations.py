"""Generations rotated away while the sidecar was down are read, oldest first (issue bug 2);
the ones read before the commit are not read again."""

import gzip
import os
import shutil
from pathlib import Path

from tests.unit.tail.support import Sidecar, copytruncate, rotate_create, write


def committed_after(tmp_path: Path, *lines: str) -> Sidecar:
    """app.log holding `lines`, read and committed by a sidecar that then went down."""
    write(tmp_path / "app.log", *lines)
    sidecar = Sidecar(tmp_path)
    assert list(lines) == sidecar.read()
    sidecar.commit()
    sidecar.kill()
    return sidecar


def test_create_rotations_while_down_read_every_generation_in_order(tmp_path: Path) -> None:
    sidecar = committed_after(tmp_path, "1")
    write(tmp_path / "app.log", "2")
    rotate_create(tmp_path, "3")
    rotate_create(tmp_path, "4")
    rotate_create(tmp_path, "5")  # the checkpointed inode is app.log.3 now
    assert ["2", "3", "4", "5"] == sidecar.restart()
    stats = sidecar.tailer.take_stats()
    assert ({"app": 2}, {"app": 2}) == (dict(stats.generations), dict(stats.generation_lines))


def test_generations_committed_but_not_yet_read_still_count_as_recovered(tmp_path: Path) -> None:
    sidecar = committed_after(tmp_path, "1")
    write(tmp_path / "app.log", "2")
    rotate_create(tmp_path, "3")
    rotate_create(tmp_path, "4")
    sidecar.kill()
    sidecar.start()  # finds the unseen generations: they wait for a commit, which comes...
    sidecar.commit()
    assert {"app": 1} == dict(sidecar.tailer.take_stats().generations)
    sidecar.kill()  # ...and then a kill before a line of them was read
    sidecar.start()
    assert ["2", "3", "4"] == sidecar.read()
    assert {"app": 1} == dict(sidecar.tailer.take_stats().generation_lines)


def test_copytruncates_while_down_read_every_copy_in_order(tmp_path: Path) -> None:
    sidecar = committed_after(tmp_path, "1")
    write(tmp_path / "app.log", "2")
    copytruncate(tmp_path, "3")
    copytruncate(tmp_path, "4")
    copytruncate(tmp_path, "5")  # our head is in app.log.3; .2 and .1 were never seen
    assert ["2", "3", "4", "5"] == sidecar.restart()
    stats = sidecar.tailer.take_stats()
    assert ({"app": 1}, {"app": 2}) == (dict(stats.recovered), dict(stats.generations))


def compress(path: Path) -> None:
    with open(path, "rb") as src, gzip.open(f"{path}.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    path.unlink()


def test_compressed_generations_while_down_are_read_delaycompress_too(tmp_path: Path) -> None:
    sidecar = committed_after(tmp_path, "1")
    write(tmp_path / "app.log", "2")
    for new in ("3", "4", "5"):  # `compress` + `delaycompress`: .1 stays plain
        rotate_create(tmp_path, new)
        if (tmp_path / "app.log.2").exists():
            compress(tmp_path / "app.log.2")
    assert {"app.log", "app.log.1", "app.log.2.gz", "app.log.3.gz"} == {
        p.name for p in tmp_path.iterdir()
    }
    assert ["2", "3", "4", "5"] == sidecar.restart()


def test_copytruncate_with_compression_while_down(tmp_path: Path) -> None:
    sidecar = committed_after(tmp_path, "1")
    write(tmp_path / "app.log", "2")
    for new in ("3", "4"):
        copytruncate(tmp_path, new)
        compress(tmp_path / "app.log.1")
    assert ["2", "3", "4"] == sidecar.restart()


def rotate_dated(directory: Path, date: str, *new_lines: str) -> None:
    os.rename(directory / "app.log", directory / f"app.log-{date}")
    write(directory / "app.log", *new_lines)


def test_dateext_generations_while_down_are_ordered_by_date_not_mtime(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "0")
    sidecar = Sidecar(tmp_path, rotate_wait=1.0)
    assert ["0"] == sidecar.read()
    rotate_dated(tmp_path, "20260101", "1")
    assert ["1"] == sidecar.read()
    sidecar.clock.advance(2)
    sidecar.read()  # app.log-20260101 read to its end and closed
    sidecar.commit()
    sidecar.kill()
    write(tmp_path / "app.log", "2")
    rotate_dated(tmp_path, "20260102", "3")
    rotate_dated(tmp_path, "20260103", "4")
    rotate_dated(tmp_path, "20260104", "5")
    old = tmp_path / "app.log-20260101"
    os.utime(old, ns=(os.stat(old).st_atime_ns, os.stat(tmp_path / "app.log").st_mtime_ns + 10**9))
    # app.log-20260101 was read before the commit: not read again, however new its mtime looks
    assert ["2", "3", "4", "5"] == sidecar.restart()


def test_dated_names_of_one_day_fall_back_to_the_mtime(tmp_path: Path) -> None:
    sidecar = committed_after(tmp_path, "1")
    write(tmp_path / "app.log", "2")
    rotate_dated(tmp_path, "20260101", "3")
    rotate_dated(tmp_path, "20260101.1", "4")
    older, newer = tmp_path / "app.log-20260101", tmp_path / "app.log-20260101.1"
    os.utime(newer, ns=(0, os.stat(older).st_mtime_ns + 10**6))
    assert ["2", "3", "4"] == sidecar.restart()


def test_a_generation_read_and_closed_before_the_commit_is_not_read_again(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "1")
    sidecar = Sidecar(tmp_path, rotate_wait=1.0)
    assert ["1"] == sidecar.read()
    rotate_create(tmp_path, "2")
    assert ["2"] == sidecar.read()
    sidecar.clock.advance(2)
    sidecar.read()  # app.log.1 closed
    assert [str(tmp_path / "app.log")] == [s.path for s in sidecar.tailer.streams.values()]
    sidecar.commit()
    sidecar.kill()
    rotate_create(tmp_path, "3")  # the closed one is app.log.2 now, ours app.log.1
    assert ["3"] == sidecar.restart()


def test_a_copy_read_and_closed_before_the_commit_is_not_read_again(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "1")
    sidecar = Sidecar(tmp_path, rotate_wait=1.0)
    assert ["1"] == sidecar.read()
    write(tmp_path / "app.log", "2")
    copytruncate(tmp_path, "3")
    assert ["2", "3"] == sidecar.read()
    sidecar.clock.advance(2)
    sidecar.read()  # the copy, app.log.1, read to its end and closed
    sidecar.commit()
    sidecar.kill()
    write(tmp_path / "app.log", "4")
    copytruncate(tmp_path, "5")  # the old copy is app.log.2 now, ours app.log.1
    assert ["4", "5"] == sidecar.restart()


def test_an_old_state_of_positions_only_still_finds_the_generations(tmp_path: Path) -> None:
    sidecar = committed_after(tmp_path, "1")
    sidecar.state = {"positions": sidecar.state["positions"]}  # what a version-1 file holds
    for p in sidecar.state["positions"]:
        del p["mtime_ns"], p["size"]
    write(tmp_path / "app.log", "2")
    rotate_create(tmp_path, "3")
    rotate_create(tmp_path, "4")
    assert ["2", "3", "4"] == sidecar.restart()


def test_a_cut_short_gz_generation_does_not_stop_the_others(tmp_path: Path) -> None:
    sidecar = committed_after(tmp_path, "1")
    write(tmp_path / "app.log", "2")
    rotate_create(tmp_path, "3")
    rotate_create(tmp_path, "4")  # app.log.2 (ours), app.log.1 ("3"), app.log ("4")
    with gzip.open(tmp_path / "app.log.1.gz", "wb") as f:
        f.write(b"".join(b"x%05d\n" % i for i in range(20000)))
    data = (tmp_path / "app.log.1.gz").read_bytes()
    (tmp_path / "app.log.1.gz").write_bytes(data[: len(data) // 2])  # compress still running
    lines = sidecar.restart()
    assert ["2", "3", "4"] == [line for line in lines if not line.startswith("x")]
