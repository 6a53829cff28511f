"""Torture: a real logrotate under a steady writer, while the sidecar is SIGKILLed and restarted.

A writer process appends numbered lines (`seq=0000123 ...`) at a steady rate. A rotator thread
runs the Debian `logrotate -f` on a private config, in `create` mode (the writer reopens its path
when the inode behind it changed) or in `copytruncate` mode (the writer keeps one O_APPEND file
descriptor). Meanwhile the sidecar, with a state dir and short commit/poll intervals, is killed
with SIGKILL at random moments and restarted (10 to 12 times): sometimes before it is even
ready, once with a rotation while it is down, and once it is frozen (SIGSTOP) across a rotation,
as a CPU-starved container would be. A scraper thread reads /metrics every 50-100 ms while a
sidecar process exists. Checked:

- no counter ever goes down between two scrapes, across restarts included;
- at the end, after the sidecar caught up and was stopped with SIGTERM, every line written is
  counted exactly once (`create`), or every line present in a surviving file is (`copytruncate`);
- a clean restart afterwards counts nothing again.

What the sidecar promises, and so what the schedule keeps within (RULES.md): a file it *was
reading* is followed through renames, and a rotated copy is found by the fingerprint of the file
it was reading. A file it never committed, rotated away while it was down, it cannot know about.
So two rotations are always at least SETTLE apart with a ready sidecar in between, and exactly
one rotation happens while it is down. In `copytruncate` mode the writer is paused (SIGSTOP)
while logrotate copies and truncates, so that no line falls into logrotate's own copy/truncate
window: the count can then be checked exactly (lines lost there would be in no file, yet might
have been read before the truncation — correctly counted once, but uncheckable).

The seed is printed; run again with TORTURE_SEED=<seed> to replay the same kill schedule.
Figures show with `pytest -s`.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import LocalSidecar, sample_value

pytestmark = pytest.mark.slow

LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"
RATE = 400.0  # lines per second
RESTARTS = 12  # SIGKILLs and restarts, at most; at least MIN_RESTARTS, more while in BUDGET
MIN_RESTARTS = 10
BUDGET = 35.0  # seconds of torture, so that a test stays under a minute on a slow machine
SETTLE = 0.5  # a ready sidecar this long between two rotations: it read and committed the first
COUNTERS = ("torture_lines_total", "torture_wellformed_total")

RULES = """\
version: 1
sources:
  - name: app
    paths: [{log}]
rules:
  - name: every_line
    metrics:
      - counter: torture_lines_total
        help: Every line read.
  - name: wellformed
    match: {{line: {{regex: '^seq=\\d{{7}} t=\\S+ x*$'}}}}
    metrics:
      - counter: torture_wellformed_total
        help: Lines as the writer wrote them (a fragment or a glued line is not one).
"""

LOGROTATE_CONF = """\
{log} {{
    rotate 500
    {mode}
    missingok
    nocompress
}}
"""

# argv: path, "reopen"|"keep", lines per second, split every Nth line in two writes (0: never)
WRITER = """\
import os, signal, sys, time
path, reopen, rate, split = sys.argv[1], sys.argv[2] == "reopen", float(sys.argv[3]), int(sys.argv[4])
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
fd = os.open(path, flags, 0o644)
n = reopens = 0
print("started", flush=True)
start = time.monotonic()
while not stop:
    if reopen:
        try:
            moved = os.stat(path).st_ino != os.fstat(fd).st_ino
        except FileNotFoundError:
            moved = False  # between logrotate's rename and its create: keep writing the old one
        if moved:
            os.close(fd)
            fd = os.open(path, flags, 0o644)
            reopens += 1
    line = ("seq=%07d t=%.3f %s\\n" % (n, time.time(), "x" * (n * 7919 % 90))).encode()
    if split and n % split == split - 1:
        os.write(fd, line[:11])  # a partial line the reader sees for a moment
        time.sleep(0.003)
        os.write(fd, line[11:])
    else:
        os.write(fd, line)
    n += 1
    delay = start + n / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
os.close(fd)
print(n, reopens, flush=True)
"""

SEQ = re.compile(rb"^seq=(\d{7}) ")


def require_logrotate() -> None:
    if os.access(LOGROTATE, os.X_OK):
        return
    message = f"{LOGROTATE} missing: install the Debian package logrotate (make system-deps)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class Writer:
    def __init__(self, path: Path, reopen: bool, split_every: int) -> None:
        args = [str(path), "reopen" if reopen else "keep", str(RATE), str(split_every)]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, *args], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        assert "started" == self.proc.stdout.readline().strip()

    def pause(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> tuple[int, int]:
        """Stop writing; returns (lines written, reopens)."""
        self.proc.send_signal(signal.SIGCONT)
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        assert 0 == self.proc.returncode, out
        lines, reopens = out.split()[-2:]
        return int(lines), int(reopens)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()


@dataclass
class Scrape:
    t: float
    gen: int  # which sidecar process answered (0: the first)
    values: dict[str, float | None]


@dataclass
class Torture:
    """Shared state of one run: the current sidecar, the rotations, the scrapes."""

    tmp: Path
    mode: str  # "create" | "copytruncate"
    log: Path = field(init=False)
    lock: threading.RLock = field(default_factory=threading.RLock)
    sidecar: LocalSidecar | None = None
    gen: int = -1
    ready_at: float | None = None  # when the current sidecar became ready
    frozen: bool = False
    hold_rotator: bool = False
    last_rotation: float = 0.0
    rotations: int = 0
    rotations_while_down: int = 0
    rotations_while_frozen: int = 0
    kills: int = 0
    early_kills: int = 0  # killed before it was ready
    scrapes: list[Scrape] = field(default_factory=list)
    scrape_errors: int = 0
    outputs: list[str] = field(default_factory=list)
    writer: Writer | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.state = self.tmp / "state"
        self.state.mkdir()
        self.log = self.logs / "app.log"
        self.rules = self.tmp / "rules.yaml"
        self.rules.write_text(RULES.format(log=json.dumps(str(self.log))))
        self.conf = self.tmp / "logrotate.conf"
        mode = "create 0644" if self.mode == "create" else "copytruncate"
        self.conf.write_text(LOGROTATE_CONF.format(log=self.log, mode=mode))
        self.conf.chmod(0o644)  # a group/world-writable config is ignored, with exit 0
        self.statefile = self.tmp / "logrotate.state"

    # -- the sidecar -------------------------------------------------------------------------
    def start(self) -> LocalSidecar:
        sidecar = LocalSidecar(
            self.rules,
            self.tmp,
            state_dir=str(self.state),
            commit_interval="0.2s",
            poll_interval="0.2s",
        )
        with self.lock:
            self.sidecar = sidecar
            self.gen += 1
            self.ready_at = None
        return sidecar

    def wait_ready(self) -> None:
        assert self.sidecar is not None
        self.sidecar.wait_ready(deadline=20)
        with self.lock:
            self.ready_at = time.monotonic()

    def kill(self) -> None:
        with self.lock:
            sidecar, self.sidecar, self.ready_at = self.sidecar, None, None
        assert sidecar is not None
        if sidecar.proc.poll() is not None:
            raise AssertionError(f"sidecar {self.gen} died on its own:\n{sidecar.output()}")
        sidecar.stop(signal.SIGKILL)
        self.kills += 1
        self.outputs.append(sidecar.output())

    def freeze(self, frozen: bool) -> None:
        assert self.sidecar is not None
        with self.lock:
            self.frozen = frozen
            self.sidecar.proc.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)

    # -- rotations ---------------------------------------------------------------------------
    def rotated_files(self) -> list[Path]:
        return sorted(self.logs.glob("app.log.*"), key=lambda p: int(p.suffix[1:]))

    def safe_to_rotate(self) -> bool:
        now = time.monotonic()
        return (
            self.sidecar is not None
            and not self.frozen
            and self.ready_at is not None
            and now - self.ready_at >= SETTLE
            and now - self.last_rotation >= SETTLE
        )

    def rotate(self) -> None:
        """One `logrotate -f`; checks that it happened by the files, not by the exit code."""
        with self.lock:
            before = len(self.rotated_files())
            inode = self.log.stat().st_ino
            pause = self.mode == "copytruncate" and self.writer is not None
            if pause:
                assert self.writer is not None
                self.writer.pause()
            try:
                done = subprocess.run(
                    [LOGROTATE, "-f", "-s", str(self.statefile), str(self.conf)],
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
            finally:
                if pause:
                    assert self.writer is not None
                    self.writer.resume()
            after = self.rotated_files()
            first = self.logs / "app.log.1"
            if len(after) != before + 1 or (self.mode == "create" and first.stat().st_ino != inode):
                raise AssertionError(
                    f"logrotate did not rotate (exit {done.returncode}): {before} -> "
                    f"{[p.name for p in after]}\n{done.stdout}{done.stderr}"
                )
            self.rotations += 1
            self.last_rotation = time.monotonic()
            if self.sidecar is None:
                self.rotations_while_down += 1
            elif self.frozen:
                self.rotations_while_frozen += 1

    def rotator(self, rng: random.Random) -> None:
        while not self.done.wait(rng.uniform(0.1, 0.5)):
            with self.lock:
                if not self.hold_rotator and self.safe_to_rotate():
                    self.rotate()

    def wait_safe_and_hold(self) -> None:
        """Keep the rotator off, and wait until a rotation of our own would be safe."""
        self.hold_rotator = True
        if self.ready_at is None:
            self.wait_ready()
        end = time.monotonic() + 10
        while not self.safe_to_rotate():
            assert time.monotonic() < end, "no safe moment to rotate in 10 s"
            time.sleep(0.02)

    def wait_regrown(self, limit: float = 4.0) -> None:
        """After a rotation, let the writer write more than the rotated file held."""
        copy = (self.logs / "app.log.1").stat().st_size
        end = time.monotonic() + limit
        while self.log.stat().st_size <= copy + 1000 and time.monotonic() < end:
            time.sleep(0.05)

    # -- the scraper -------------------------------------------------------------------------
    def scraper(self, rng: random.Random) -> None:
        while not self.done.wait(rng.uniform(0.05, 0.1)):
            with self.lock:
                sidecar, gen = self.sidecar, self.gen
            if sidecar is None:
                continue
            try:
                text = sidecar.scrape()
                values = {name: sample_value(text, name) for name in COUNTERS}
                values["logsidecar_lines_total"] = sample_value(
                    text, "logsidecar_lines_total", source="app"
                )
            except Exception:  # killed mid-answer, not listening yet: Prometheus sees a gap
                self.scrape_errors += 1
                continue
            self.scrapes.append(Scrape(time.monotonic(), gen, values))

    def decreases(self) -> list[str]:
        found = []
        last: dict[str, tuple[float, int]] = {}
        for s in self.scrapes:
            for name, value in s.values.items():
                if value is None:
                    continue
                if name in last and value < last[name][0]:
                    found.append(f"{name}: {last[name][0]:g} (sidecar {last[name][1]}) -> "
                                 f"{value:g} (sidecar {s.gen})")  # fmt: skip
                last[name] = (value, s.gen)
        return found

    def counted(self, name: str = "torture_lines_total") -> float:
        assert self.sidecar is not None
        return sample_value(self.sidecar.scrape(), name) or 0.0

    def wait_counted(self, expected: float, deadline: float = 20.0) -> float:
        end = time.monotonic() + deadline
        value = self.counted()
        while value != expected and time.monotonic() < end:
            time.sleep(0.1)
            value = self.counted()
        return value

    # -- the files ---------------------------------------------------------------------------
    def lines_in_files(self) -> tuple[list[int], list[bytes]]:
        """Seq numbers of the lines in app.log and every rotated file, and the odd lines."""
        seqs: list[int] = []
        odd: list[bytes] = []
        for path in [self.log, *self.rotated_files()]:
            for line in path.read_bytes().splitlines():
                m = SEQ.match(line)
                if m:
                    seqs.append(int(m.group(1)))
                else:
                    odd.append(line[:80])
        return seqs, odd


def run_torture(tmp_path: Path, mode: str) -> None:
    require_logrotate()
    seed = int(os.environ.get("TORTURE_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"\n[torture {mode}] seed={seed} (replay: TORTURE_SEED={seed})", flush=True)
    rng = random.Random(seed)
    t = Torture(tmp_path, mode)
    started = time.monotonic()
    t.writer = Writer(t.log, reopen=mode == "create", split_every=50 if mode == "create" else 0)
    threads = [
        threading.Thread(target=t.rotator, args=(random.Random(rng.random()),), daemon=True),
        threading.Thread(target=t.scraper, args=(random.Random(rng.random()),), daemon=True),
    ]
    down_at = rng.randrange(2, MIN_RESTARTS - 1)  # the restart with a rotation while it is down
    frozen_at = rng.choice([i for i in range(1, MIN_RESTARTS - 1) if i != down_at])
    sidecar = t.start()
    problems: list[str] = []
    try:
        t.wait_ready()
        for thread in threads:
            thread.start()
        for i in range(RESTARTS):
            if i >= MIN_RESTARTS and time.monotonic() - started > BUDGET:
                break
            if i == frozen_at:  # frozen across a rotation: it sees the result only afterwards
                t.wait_safe_and_hold()
                t.freeze(True)
                t.rotate()
                t.wait_regrown()
                t.freeze(False)
                t.hold_rotator = False
                time.sleep(rng.uniform(0.1, 0.6))
            elif i == down_at:  # killed, then one rotation while it is down
                t.wait_safe_and_hold()
                time.sleep(rng.uniform(0.0, 0.15))
            elif t.ready_at is None:  # sometimes killed before it is even ready
                time.sleep(rng.uniform(0.05, 0.8))
            else:
                time.sleep(rng.uniform(0.3, 2.5))
            if t.ready_at is None and t.sidecar is not None:
                t.early_kills += 1
            t.kill()
            if i == down_at:
                t.rotate()
                t.wait_regrown()
                t.hold_rotator = False
            else:
                time.sleep(rng.uniform(0.0, 0.4))
            sidecar = t.start()
            if rng.random() < 0.75:
                t.wait_ready()
        # the end: no more rotations or writes; let the last sidecar catch up
        tortured = time.monotonic() - started
        t.hold_rotator = True
        with t.lock:
            written, reopens = t.writer.stop()
        t.wait_ready()
        seqs, odd = t.lines_in_files()
        present = len(seqs)
        if mode == "create":
            expected = written
            if sorted(seqs) != list(range(written)):
                problems.append(f"test harness: the files do not hold seq 0..{written - 1} once "
                                f"each ({present} lines)")  # fmt: skip
        else:
            expected = present
            if len(set(seqs)) != present or not set(seqs) <= set(range(written)):
                problems.append("test harness: a seq number twice in the files, or unknown")
        if odd:
            problems.append(f"odd lines in the files: {odd[:5]}")
        counted = t.wait_counted(expected)
        time.sleep(1.0)  # nothing more may come: no late second reading
        counted_later = t.counted()
        wellformed = t.counted("torture_wellformed_total")
        code = sidecar.stop(signal.SIGTERM)
        t.outputs.append(sidecar.output())
        with t.lock:
            t.sidecar = None
        # a clean restart on the same state counts nothing again
        sidecar = t.start()
        t.wait_ready()
        time.sleep(0.6)
        after_restart = t.counted()
        code2 = sidecar.stop(signal.SIGTERM)
        t.outputs.append(sidecar.output())
        with t.lock:
            t.sidecar = None
    finally:
        t.done.set()
        t.writer.kill()
        if t.sidecar is not None:
            t.sidecar.stop(signal.SIGKILL)
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout=10)

    duration = time.monotonic() - started
    decreases = t.decreases()
    tracebacks = sum(out.count("Traceback") for out in t.outputs)
    figures = (
        f"[torture {mode}] seed={seed} written={written} present_in_files={present} "
        f"lost_by_logrotate={written - present} expected={expected:g} counted={counted:g} "
        f"counted_1s_later={counted_later:g} wellformed={wellformed:g} "
        f"after_clean_restart={after_restart:g} sigkill_restarts={t.kills} early_kills={t.early_kills} "
        f"rotations={t.rotations} (while down {t.rotations_while_down}, while frozen "
        f"{t.rotations_while_frozen}) writer_reopens={reopens} "
        f"rotated_files={len(t.rotated_files())} scrapes={len(t.scrapes)} "
        f"scrape_errors={t.scrape_errors} decreases={len(decreases)} duration={duration:.1f}s (torture {tortured:.1f}s)"
    )
    print(figures, flush=True)
    if decreases:
        problems.append(f"counters went down {len(decreases)} times: {decreases[:5]}")
    if counted != expected:
        problems.append(f"counted {counted:g}, expected {expected:g} "
                        f"({'lines lost' if counted < expected else 'lines counted twice'})")  # fmt: skip
    if counted_later != counted:
        problems.append(f"kept counting after catching up: {counted:g} -> {counted_later:g}")
    if wellformed != counted:
        problems.append(f"{counted - wellformed:g} lines counted were fragments or glued lines")
    if after_restart != counted_later:
        problems.append(
            f"a clean restart changed the count: {counted_later:g} -> {after_restart:g}"
        )
    if (code, code2) != (0, 0):
        problems.append(f"SIGTERM exit codes {code}, {code2}, expected 0")
    if tracebacks:
        problems.append(f"{tracebacks} tracebacks in the sidecar output")
    assert not problems, (
        figures + "\n- " + "\n- ".join(problems) + "\nlast sidecar output:\n" + t.outputs[-1]
    )


def test_create_mode_every_line_written_is_counted_once(tmp_path: Path) -> None:
    run_torture(tmp_path, "create")


def test_copytruncate_mode_every_line_in_the_files_is_counted_once(tmp_path: Path) -> None:
    run_torture(tmp_path, "copytruncate")
