"""Shared set-up for the tailer tests: real files in a directory, a FakeClock, JSON commits."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from logsidecar.clock import FakeClock
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec


def lines_of(tailer: Tailer) -> list[str]:
    """Poll until the tailer says there is no more; the lines, in the order handed out."""
    out: list[str] = []
    for _ in range(50):
        batches, more = tailer.poll()
        out.extend(line for b in batches for line in b.lines)
        if not more:
            break
    return out


def write(path: Path, *lines: str) -> None:
    with open(path, "a") as f:
        f.write("".join(f"{line}\n" for line in lines))


class Sidecar:
    """A tailer of `app.log` only, committed as the processing loop commits, restartable."""

    def __init__(self, directory: Path, clock: FakeClock | None = None, **options: Any) -> None:
        self.dir = directory
        self.clock = clock or FakeClock()
        self.spec = WatchSpec("app", (str(directory / "app.log"),))
        self.options = TailOptions(**{"durable_first": True, **options})
        self.state: dict[str, Any] = {}
        self.tailer = self.start()

    def start(self) -> Tailer:
        """Restore from the last commit; nothing read, nothing committed yet."""
        tailer = Tailer([self.spec], self.clock, self.options)
        tailer.restore(self.state)
        self.tailer = tailer
        return tailer

    def commit(self) -> None:
        self.tailer.discover()
        self.state = json.loads(json.dumps(self.tailer.to_state()))
        self.tailer.committed()

    def read(self) -> list[str]:
        """Poll until quiet, committing at once whenever a stream waits for a commit (as the
        loop does), but not otherwise: what is read after the last commit is not committed."""
        out = []
        for _ in range(10):
            out += lines_of(self.tailer)
            if not self.tailer.awaiting_commit:
                break
            self.commit()
        return out

    def kill(self) -> None:
        """SIGKILL: what was read since the last commit is forgotten."""
        self.tailer.close()

    def restart(self) -> list[str]:
        self.kill()
        self.start()
        return self.read()

    def path(self, name: str) -> Path:
        return self.dir / name


def shift(directory: Path, keep: int = 5, live: str = "app.log") -> None:
    """app.log.N -> app.log.N+1 (and .N.gz), the oldest beyond `keep` deleted."""
    for n in range(keep, 0, -1):
        for ext in ("", ".gz"):
            old = directory / f"{live}.{n}{ext}"
            if old.exists():
                if n == keep:
                    old.unlink()
                else:
                    os.rename(old, directory / f"{live}.{n + 1}{ext}")


def rotate_create(directory: Path, *new_lines: str) -> None:
    """logrotate `create`: app.log -> app.log.1, a new app.log (with `new_lines`)."""
    shift(directory)
    os.rename(directory / "app.log", directory / "app.log.1")
    (directory / "app.log").touch()
    write(directory / "app.log", *new_lines)


def copytruncate(directory: Path, *new_lines: str) -> None:
    """logrotate `copytruncate`: copy app.log to app.log.1, truncate app.log, then more lines."""
    shift(directory)
    shutil.copyfile(directory / "app.log", directory / "app.log.1")
    os.truncate(directory / "app.log", 0)
    write(directory / "app.log", *new_lines)
