"""The torture's writer: a child process appending numbered lines at a steady rate."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

RATE = 400.0  # lines per second

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


class Writer:
    """`create` mode: reopens its path when the inode behind it changed; else one O_APPEND fd."""

    def __init__(self, path: Path, reopen: bool, split_every: int) -> None:
        args = [str(path), "reopen" if reopen else "keep", str(RATE), str(split_every)]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, *args], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        assert "started" == self.proc.stdout.readline().strip()

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


def lines_in_files(paths: list[Path]) -> tuple[list[int], list[bytes]]:
    """Seq numbers of the writer's lines in these files, and the lines that are not its."""
    seqs: list[int] = []
    odd: list[bytes] = []
    for path in paths:
        for line in path.read_bytes().splitlines():
            m = SEQ.match(line)
            if m:
                seqs.append(int(m.group(1)))
            else:
                odd.append(line[:80])
    return seqs, odd


def blocks_off(counted: dict[int, float], paths: list[Path], written: int) -> list[str]:
    """The blocks of 100 seq numbers whose count is not within what survives .. what was written,
    with the files that hold them: where a loss or a double count happened."""
    surviving: dict[int, set[int]] = {}
    where: dict[int, set[str]] = {}
    for path in paths:
        seqs, _ = lines_in_files([path])
        for seq in seqs:
            surviving.setdefault(seq // 100, set()).add(seq)
            where.setdefault(seq // 100, set()).add(path.name)
    found = []
    for block in range((written + 99) // 100):
        high = min(100, written - 100 * block)
        low = len(surviving.get(block, ()))
        got = counted.get(block, 0.0)
        if not low <= got <= high:
            files = ",".join(sorted(where.get(block, {"none"})))
            found.append(f"seq {100 * block}..: counted {got:g}, surviving {low}, written {high} "
                         f"(in {files})")  # fmt: skip
    return found
