"""The torture's moving parts: the sidecar it kills, the rotations, the scraper, the files.

One `Torture` holds the state of one run; the schedule (what happens when) is in
test_torture_logrotate.py.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import LocalSidecar, sample_value
from tests.integration.logrotate_tool import rotated, run_logrotate, write_conf
from tests.integration.torture_writer import Writer

SETTLE = 0.0  # at least this long between two rotations while it runs (0: none)
COMMIT_INTERVAL = 0.2  # seconds, the sidecar's
EARLY_COMMIT_INTERVAL = 1.0  # the default, for a sidecar killed soon after start: before a commit
LINES = "torture_lines_total"
UNSEEN_GENERATIONS = "logsidecar_rotated_generations_read_total"
UNSEEN_LINES = "logsidecar_rotated_generation_lines_total"
COUNTERS = (LINES, "torture_wellformed_total")
SELF_COUNTERS = ("logsidecar_lines_total", UNSEEN_GENERATIONS, UNSEEN_LINES)

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
  - name: by_block
    match: {{line: {{regex: '^seq=(?P<block>\\d{{5}})\\d\\d '}}}}
    metrics:
      - counter: torture_lines_by_block_total
        help: Lines by seq // 100, to tell where a loss or a double count is.
        labels: [block]
"""


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
    lock: threading.RLock = field(default_factory=threading.RLock)
    sidecar: LocalSidecar | None = None
    gen: int = -1
    started_at: float = 0.0  # when the current sidecar was started
    ready_at: float | None = None  # when the current sidecar became ready
    state_at_start: dict[str, tuple[int, int]] = field(default_factory=dict)
    frozen: bool = False
    hold_rotator: bool = False
    last_rotation: float = 0.0
    rotations: int = 0
    rotations_while_down: int = 0
    rotations_while_frozen: int = 0
    kills: int = 0
    kills_before_ready: int = 0
    kills_untouched_state: int = 0  # the process was killed before it changed the state dir
    scrapes: list[Scrape] = field(default_factory=list)
    scrape_errors: int = 0
    outputs: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # what happened when, for a failure's report
    writer: Writer | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def note(self, what: str) -> None:
        self.events.append(f"{time.monotonic() - self.t0:6.2f}s sidecar {self.gen}: {what}")

    def __post_init__(self) -> None:
        self.t0 = time.monotonic()
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.state = self.tmp / "state"
        self.state.mkdir()
        self.log = self.logs / "app.log"
        self.rules = self.tmp / "rules.yaml"
        self.rules.write_text(RULES.format(log=json.dumps(str(self.log))))  # the live name only
        self.conf = self.tmp / "logrotate.conf"
        write_conf(self.conf, self.log, self.mode)
        self.statefile = self.tmp / "logrotate.state"

    # -- the sidecar -------------------------------------------------------------------------
    def state_files(self) -> dict[str, tuple[int, int]]:
        """Inode and mtime of every file in the state dir: a commit changes them."""
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in self.state.iterdir()}

    def start(self, commit_interval: float = COMMIT_INTERVAL) -> LocalSidecar:
        state = self.state_files()
        sidecar = LocalSidecar(
            self.rules,
            self.tmp,
            state_dir=str(self.state),
            commit_interval=f"{commit_interval}s",
            poll_interval="0.2s",
        )
        with self.lock:
            self.sidecar = sidecar
            self.gen += 1
            self.started_at = time.monotonic()
            self.ready_at = None
            self.state_at_start = state
            self.note(f"started, commit interval {commit_interval}s")
        return sidecar

    def wait_ready(self) -> None:
        assert self.sidecar is not None
        self.sidecar.wait_ready(deadline=20)
        with self.lock:
            self.ready_at = time.monotonic()
            self.note("ready")

    def kill(self) -> None:
        with self.lock:
            sidecar, self.sidecar, ready = self.sidecar, None, self.ready_at is not None
            self.ready_at = None
        assert sidecar is not None
        if sidecar.proc.poll() is not None:
            raise AssertionError(f"sidecar {self.gen} died on its own:\n{sidecar.output()}")
        if not ready:
            with contextlib.suppress(OSError):  # not listening yet: not ready
                ready = 200 == sidecar.get("/-/ready")[0]
        sidecar.stop(signal.SIGKILL)
        untouched = self.state_files() == self.state_at_start
        self.kills += 1
        self.kills_before_ready += not ready
        self.kills_untouched_state += untouched
        self.note(f"SIGKILL ({'ready' if ready else 'not ready'}, "
                  f"{'no commit' if untouched else 'committed'})")  # fmt: skip
        self.outputs.append(sidecar.output())

    def freeze(self, frozen: bool) -> None:
        assert self.sidecar is not None
        with self.lock:
            self.frozen = frozen
            self.sidecar.proc.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)

    # -- rotations ---------------------------------------------------------------------------
    def rotated_files(self) -> list[Path]:
        return rotated(self.log)

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
        """One `logrotate -f`; checks that it happened by the files, not by the exit code.

        The writer is not paused: in `copytruncate` mode a line it writes between logrotate's
        copy and its truncation is in no file, as in production.
        """
        with self.lock:
            before = len(self.rotated_files())
            inode = self.log.stat().st_ino
            done = run_logrotate(self.conf, self.statefile)
            after = self.rotated_files()
            first = self.logs / "app.log.1"
            if len(after) != before + 1 or (self.mode == "create" and first.stat().st_ino != inode):
                raise AssertionError(
                    f"logrotate did not rotate (exit {done.returncode}): {before} -> "
                    f"{[p.name for p in after]}\n{done.stdout}{done.stderr}"
                )
            self.rotations += 1
            self.last_rotation = time.monotonic()
            down = "down" if self.sidecar is None else "frozen" if self.frozen else "running"
            self.note(f"rotation {self.rotations} while {down}: {first.stat().st_size} bytes")
            if self.sidecar is None:
                self.rotations_while_down += 1
            elif self.frozen:
                self.rotations_while_frozen += 1

    def rotate_while_down(self, count: int, rng: random.Random) -> None:
        """`count` rotations in a row, each generation holding some lines of the writer's."""
        assert self.sidecar is None
        for n in range(count):
            if n:
                self.wait_grown(rng.randrange(500, 8000))
            self.rotate()

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

    def wait_grown(self, size: int, limit: float = 3.0) -> None:
        """Until the live file holds `size` bytes of the writer's."""
        end = time.monotonic() + limit
        while self.log.stat().st_size < size and time.monotonic() < end:
            time.sleep(0.02)

    def wait_regrown(self) -> None:
        """After a rotation, let the writer write more than the rotated file held."""
        self.wait_grown((self.logs / "app.log.1").stat().st_size + 1000, limit=4.0)

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
                for name in SELF_COUNTERS:
                    values[name] = sample_value(text, name, source="app")
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

    def sample(self, name: str) -> float | None:
        assert self.sidecar is not None
        labels = {"source": "app"} if name in SELF_COUNTERS else {}
        return sample_value(self.sidecar.scrape(), name, **labels)

    def by_block(self) -> dict[int, float]:
        """torture_lines_by_block_total: lines counted by seq // 100."""
        assert self.sidecar is not None
        return {
            int(s.labels["block"]): s.value
            for family in text_string_to_metric_families(self.sidecar.scrape())
            for s in family.samples
            if s.name == "torture_lines_by_block_total"
        }

    def progress(self) -> str:
        """What each sidecar process showed: its first and last count of lines."""
        seen: dict[int, list[float]] = {}
        for s in self.scrapes:
            if s.values[LINES] is not None:
                seen.setdefault(s.gen, []).append(s.values[LINES])
        return " ".join(f"{gen}:{v[0]:g}..{v[-1]:g}" for gen, v in sorted(seen.items()))

    def counted(self, name: str = LINES) -> float:
        return self.sample(name) or 0.0

    def wait_settled(self, at_least: float, quiet: float = 1.0, deadline: float = 20.0) -> float:
        """The count once it reached `at_least` and then stayed put for `quiet` seconds."""
        end = time.monotonic() + deadline
        value, since = self.counted(), time.monotonic()
        while time.monotonic() < end:
            time.sleep(0.1)
            now = self.counted()
            if now != value:
                value, since = now, time.monotonic()
            elif value >= at_least and time.monotonic() - since >= quiet:
                break
        return value
