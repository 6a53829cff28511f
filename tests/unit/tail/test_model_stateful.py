"""The Tailer against a model: random writes, rotations, truncations, deletions and crashes.

Real files in a temp dir, a FakeClock, one source watching `app.log`, `durable_first` on. A
writer appends by path (like an app that reopens its log for every line), sometimes leaving a
line unfinished; rules rotate it as logrotate would (rename + create, or copy + truncate, keeping
KEEP old files and deleting the oldest), also several times in a row while the tailer is down,
truncate it, delete files, let a writer that has not reopened yet append to `app.log.1`, poll
once or until quiet (after moving the clock, and committing after), crash (staying down, or
restarting at once, before or after the first commit) and start.

Every line the writer writes is made of *pieces* with unique ids: a whole line is one piece
(`p00012xxx`); an unfinished line is one piece, and its continuation another, written with a `+`
(`p00013xx` ... `+p00014x\\n`), because a partial line may rightly come out in two parts (after
the quiet timeout, or when its file is rotated away before the line is finished). What is checked:

- never: a piece emitted twice (checked after every step), a piece that was not written, two
  pieces glued together that were not one line, a `+` lost;
- at the end (after moving the clock past rotate_wait and partial_timeout, polling until quiet and
  `drain_all()`): every piece the tailer had to be able to read was emitted.

Sequences the model once found are replayed as plain tests (test_model_replays.py). For a longer
hunt: TAILER_MODEL_EXAMPLES=5000 pytest tests/unit/tail/test_model_stateful.py

Commits and crashes, as the processing loop and the checkpoint give them: a commit is
`discover()`, `to_state()` (through JSON, as the state file keeps it) and `committed()`, taken
together with the pieces emitted so far; a poll that leaves a stream waiting for a commit
(`awaiting_commit`) commits at once, as the loop does (unless the rule says not to: a crash may
come first). `crash` drops the tailer and forgets what it emitted since the last commit; `start`
builds a fresh Tailer, `restore()`s the committed section and may commit at once. A commit, a
crash and a start at once is a clean restart.

Which pieces the tailer *had* to read — the rest may be lost, but never duplicated:
- a generation of a file (its content between two truncations) is *seen* once a poll that said
  "no more", with no stream waiting for a commit, ran while it was the content of `app.log`;
  *seen with bytes* if it was not empty then. A crash rolls what was seen back to what the last
  commit had seen;
- generations are numbered in the order they began; the *anchor* of a commit is the number of
  `app.log`'s generation then (none when there was no `app.log`). A generation at least as new
  as the last commit's anchor is *newer*: the restored tailer finds it wherever it went in the
  directory, renamed or copied (by rotation order, or by time);
- `app.log`'s current content is always readable (found by the globs);
- content renamed away (`app.log` -> `app.log.1`) is readable if it was seen (followed by inode)
  or, while the tailer is down, if it is newer;
- content moved to a copy by copytruncate while the tailer runs is readable if any generation
  of that file was seen: its stream finds the copy by the head it read, or by time when it saw
  the file empty, and the copies newer than that one; while the tailer is down, if it was seen
  with bytes (found by the head) or is newer;
- content of a deleted file is readable only while the tailer that saw it is running (it holds the
  file open), and a truncation destroys what was not read yet;
- a late write to a renamed file is readable while the tailer that saw the file is running and
  less than rotate_wait went by since the file's last write — at every late write so far: once
  the tailer may have closed the file, later writes to it are not read.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from logsidecar.clock import FakeClock
from logsidecar.logline import LineBatch
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec
from tests.unit.tail.model_pieces import Committed, FileModel, Gen, Piece, check_line

KEEP = 3  # rotated files kept, like logrotate's `rotate 3`
OPTIONS = TailOptions(
    block_bytes=64, budget_bytes=256, rotate_wait=5.0, partial_timeout=5.0, durable_first=True
)
QUIET = max(OPTIONS.rotate_wait, OPTIONS.partial_timeout) + 1.0
ADVANCE = st.sampled_from([0.0, 0.0, 0.0, 0.1, 1.0, 4.9, 5.1, 12.0])  # clock moves before a poll
WAITING = st.sampled_from([True, True, True, False])  # commit at once when a stream waits


class TailerModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="tailer-model-"))
        self.clock = FakeClock()
        self.spec = WatchSpec("app", (str(self.dir / "app.log"),))
        self.tailer: Tailer | None = Tailer([self.spec], self.clock, OPTIONS)
        self.tailer.restore({})
        self.files: dict[str, FileModel] = {}  # name -> the file there now
        self.keys = 0
        self.order: dict[Gen, int] = {}  # generation -> the order it began in
        self.pieces: list[Piece] = []
        self.partial: int | None = None  # the writer's unfinished piece
        self.emitted: Counter[int] = Counter()
        self.seen: set[Gen] = set()
        self.seen_with_bytes: set[Gen] = set()
        self.committed = Committed()

    # -- helpers -----------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        return self.dir / name

    def began(self, gen: Gen) -> None:
        self.order[gen] = len(self.order)

    def new_file(self, name: str, copy_of: Gen | None = None) -> FileModel:
        self.keys += 1
        fm = FileModel(self.keys, copy_of=copy_of, last_write=self.clock.monotonic())
        self.files[name] = fm
        self.began(fm.current)
        return fm

    def newer(self, gen: Gen) -> bool:
        """At least as new as the last commit's anchor: a restored tailer finds it."""
        anchor = self.committed.anchor
        return anchor is not None and self.order[gen] >= anchor

    def append(self, name: str, texts: list[tuple[str, int | None]], newline: bool) -> None:
        """Append pieces (text, follows) to `name` by path, creating it if needed."""
        fm = self.files.get(name) or self.new_file(name)
        data = ""
        for text, follows in texts:
            self.pieces.append(Piece(text, fm.current, follows))
            data += ("+" if follows is not None else "") + text + ("\n" if newline else "")
        raw = data.encode()
        with open(self.path(name), "ab") as f:
            f.write(raw)
        fm.size += len(raw)
        fm.last_write = self.clock.monotonic()

    def piece_text(self, length: int) -> str:
        return f"p{len(self.pieces):05d}" + "x" * length

    def at_risk(self, gen: Gen, readable: bool) -> None:
        """Pieces of `gen` not emitted yet may be lost unless the tailer can still read them."""
        if readable:
            return
        for pid, piece in enumerate(self.pieces):
            if piece.home == gen and not self.emitted[pid]:
                piece.must = False

    def remove(self, name: str) -> None:
        fm = self.files.pop(name)
        os.unlink(self.path(name))
        if fm.copy_of is not None:
            self.at_risk(fm.copy_of, False)
        else:
            self.at_risk(fm.current, self.tailer is not None and fm.current in self.seen)

    def shift(self) -> None:
        """app.log.N -> app.log.N+1, the oldest deleted: the first half of a logrotate run."""
        if f"app.log.{KEEP}" in self.files:
            self.remove(f"app.log.{KEEP}")
        for n in range(KEEP - 1, 0, -1):
            old, new = f"app.log.{n}", f"app.log.{n + 1}"
            if old in self.files:
                os.rename(self.path(old), self.path(new))
                self.files[new] = self.files.pop(old)

    def emit(self, batches: list[LineBatch]) -> None:
        for batch in batches:
            for line in batch.lines:
                check_line(self.pieces, self.emitted, line)

    def readable_after_restart(self, gen: Gen) -> bool:
        """Whether a tailer restored from the last commit can still find `gen`'s bytes."""
        for name, fm in self.files.items():
            if fm.current == gen and name == "app.log":
                return True  # found by the globs
            if fm.current == gen:  # renamed away: followed by inode, or found as a generation
                return gen in self.committed.seen or self.newer(gen)
            if fm.copy_of == gen:  # a copy: found by the head, or as a generation
                return gen in self.committed.seen_with_bytes or self.newer(gen)
        return False  # deleted, or truncated without a copy

    # -- writing -----------------------------------------------------------------------------
    @rule(n=st.integers(1, 4), length=st.integers(0, 30))
    def write_lines(self, n: int, length: int) -> None:
        texts: list[tuple[str, int | None]] = []
        if self.partial is not None:  # finish the unfinished line first
            texts.append((self.piece_text(length), self.partial))
            self.append("app.log", texts, newline=True)
            self.partial = None
        texts = []
        for i in range(n):
            texts.append((f"p{len(self.pieces) + i:05d}" + "x" * ((length + 7 * i) % 31), None))
        self.append("app.log", texts, newline=True)

    @precondition(lambda self: self.partial is None)
    @rule(length=st.integers(0, 30))
    def write_partial(self, length: int) -> None:
        self.partial = len(self.pieces)
        self.append("app.log", [(self.piece_text(length), None)], newline=False)

    def late_writable(self) -> bool:
        fm = self.files.get("app.log.1")
        if fm is None or fm.copy_of is not None:
            return False  # nobody writes to a copy
        data = self.path("app.log.1").read_bytes()
        return not data or data.endswith(b"\n")  # an unfinished line was continued elsewhere

    @precondition(late_writable)
    @rule(length=st.integers(0, 30))
    def late_write(self, length: int) -> None:
        """A writer that has not reopened yet appends a line to the renamed file."""
        fm = self.files["app.log.1"]
        fm.maybe_closed |= (
            self.tailer is None  # its stream may not be in the committed positions
            or fm.current not in self.seen
            or self.clock.monotonic() - fm.last_write >= OPTIONS.rotate_wait
        )
        pid = len(self.pieces)
        self.append("app.log.1", [(self.piece_text(length), None)], newline=True)
        self.pieces[pid].must = not fm.maybe_closed

    # -- rotating, truncating, deleting ------------------------------------------------------
    @precondition(lambda self: "app.log" in self.files)
    @rule()
    def rotate_rename(self) -> None:
        """logrotate `create`: app.log -> app.log.1, then a new empty app.log."""
        self.shift()
        fm = self.files.pop("app.log")
        os.rename(self.path("app.log"), self.path("app.log.1"))
        self.files["app.log.1"] = fm
        down = self.tailer is None
        self.at_risk(fm.current, fm.current in self.seen or (down and self.newer(fm.current)))
        self.path("app.log").touch()
        self.new_file("app.log")

    @precondition(lambda self: "app.log" in self.files)
    @rule()
    def copytruncate(self) -> None:
        """logrotate `copytruncate`: copy app.log to app.log.1, then truncate app.log."""
        self.shift()
        fm = self.files["app.log"]
        shutil.copyfile(self.path("app.log"), self.path("app.log.1"))
        copy = self.new_file("app.log.1", copy_of=fm.current)
        copy.size = fm.size
        if self.tailer is None:
            readable = fm.current in self.seen_with_bytes or self.newer(fm.current)
        else:  # its stream finds the copy: by the head it read, or by time if it was empty
            readable = any(key == fm.key for key, _ in self.seen)
        self.at_risk(fm.current, readable)
        os.truncate(self.path("app.log"), 0)
        fm.gen += 1
        fm.size = 0
        self.began(fm.current)

    @precondition(lambda self: self.tailer is None and "app.log" in self.files)
    @rule(times=st.integers(2, KEEP + 1), copy=st.booleans(), n=st.integers(0, 3))
    def rotate_while_down(self, times: int, copy: bool, n: int) -> None:
        """Several logrotate runs while the tailer is down, with lines written between them."""
        for _ in range(times):
            if copy:
                self.copytruncate()
            else:
                self.rotate_rename()
            if n:
                self.write_lines(n, 5)

    @precondition(lambda self: "app.log" in self.files)
    @rule()
    def truncate(self) -> None:
        fm = self.files["app.log"]
        self.at_risk(fm.current, False)  # what was not read yet is gone
        os.truncate(self.path("app.log"), 0)
        fm.gen += 1
        fm.size = 0
        self.began(fm.current)

    @precondition(lambda self: bool(self.files))
    @rule(index=st.integers(0, KEEP))
    def delete(self, index: int) -> None:
        names = sorted(self.files)
        self.remove(names[index % len(names)])

    @precondition(lambda self: "app.log" in self.files)
    @rule(length=st.integers(0, 30))
    def recreate(self, length: int) -> None:
        """Delete app.log and write a new one at once."""
        self.remove("app.log")
        self.write_lines(1, length)

    # -- time, reading, committing ----------------------------------------------------------
    def mark_seen(self) -> None:
        """The last poll said there is no more: app.log's current content was read to its end."""
        fm = self.files.get("app.log")
        if fm is not None:
            self.seen.add(fm.current)
            if fm.size:
                self.seen_with_bytes.add(fm.current)

    def commit(self) -> None:
        """What the processing loop does at a commit: the section and what its lines gave."""
        assert self.tailer is not None
        self.tailer.discover()
        state = json.dumps(self.tailer.to_state())
        fm = self.files.get("app.log")
        self.committed = Committed(
            state,
            Counter(self.emitted),
            set(self.seen),
            set(self.seen_with_bytes),
            None if fm is None else self.order[fm.current],
        )
        self.tailer.committed()  # the state file is written

    def poll(self, waiting: bool) -> bool:
        """One poll, as the loop does it; whether it said there is more."""
        assert self.tailer is not None
        batches, more = self.tailer.poll()
        self.emit(batches)
        if self.tailer.awaiting_commit:
            if waiting:
                self.commit()
            return True
        if not more:
            self.mark_seen()
        return more

    @precondition(lambda self: self.tailer is not None)
    @rule(advance=ADVANCE, commit=st.booleans(), waiting=WAITING)
    def poll_once(self, advance: float, commit: bool, waiting: bool = True) -> None:
        self.clock.advance(advance)
        self.poll(waiting)
        if commit:
            self.commit()

    @precondition(lambda self: self.tailer is not None)
    @rule(advance=ADVANCE, commit=st.booleans(), waiting=WAITING)
    def poll_until_quiet(
        self, advance: float = 0.0, commit: bool = False, waiting: bool = True
    ) -> None:
        self.clock.advance(advance)
        for _ in range(50):
            if not self.poll(waiting) or (
                not waiting and self.tailer and self.tailer.awaiting_commit
            ):
                break
        if commit:
            self.commit()

    # -- crashes and restarts ----------------------------------------------------------------
    @precondition(lambda self: self.tailer is not None)
    @rule(commit_first=st.booleans(), stay_down=st.booleans())
    def crash(self, commit_first: bool = False, stay_down: bool = True) -> None:
        """SIGKILL: what was emitted since the last commit is forgotten, and read again.

        `commit_first` and not `stay_down`: a clean restart.
        """
        assert self.tailer is not None
        if commit_first:
            self.commit()
        self.tailer.close()
        self.tailer = None
        self.emitted = Counter(self.committed.emitted)
        self.seen = set(self.committed.seen)
        self.seen_with_bytes = set(self.committed.seen_with_bytes)
        for pid, piece in enumerate(self.pieces):
            if piece.must and not self.emitted[pid]:
                piece.must = self.readable_after_restart(piece.home)
        if not stay_down:
            self.start()

    @precondition(lambda self: self.tailer is None)
    @rule(commit=st.booleans())
    def start(self, commit: bool = True) -> None:
        """Restore from the last commit; the loop commits once before its first read."""
        self.tailer = Tailer([self.spec], self.clock, OPTIONS)
        self.tailer.restore(json.loads(self.committed.state))
        if commit:
            self.commit()

    # -- checks ------------------------------------------------------------------------------
    @invariant()
    def nothing_emitted_twice(self) -> None:
        assert all(n == 1 for n in self.emitted.values())

    def teardown(self) -> None:
        try:
            if self.tailer is None:
                self.start()
            assert self.tailer is not None
            for _ in range(3):
                self.poll_until_quiet(advance=QUIET)
            self.emit(self.tailer.drain_all())
            missing = [
                p.text for pid, p in enumerate(self.pieces) if p.must and not self.emitted[pid]
            ]
            may = sum(1 for p in self.pieces if not p.must)
            assert not missing, (
                f"{len(missing)} of {len(self.pieces)} pieces never emitted ({may} could have "
                f"been lost): {missing[:10]}; files now: "
                f"{ {n: self.path(n).read_bytes()[:200] for n in sorted(self.files)} }"
            )
        finally:
            if self.tailer is not None:
                self.tailer.close()
            shutil.rmtree(self.dir, ignore_errors=True)


TailerModel.TestCase.settings = settings(
    max_examples=int(os.environ.get("TAILER_MODEL_EXAMPLES", "100")),  # more: a longer hunt
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_tailer_against_the_model = TailerModel.TestCase
