"""Rotated names of a log file, and their order: pure, no I/O.

logrotate names the generations of `app.log` in one of two schemes:

- numbered: `app.log.1`, `app.log.2` ... (`.N.gz` when compressed; with `delaycompress` the
  newest stays uncompressed). A lower N is newer.
- dated (`dateext`): `app.log-20260102`, `app.log-2026-01-02`, `app.log-20260102-1767312000`,
  `app.log-20260102.1` (`.gz` likewise). A later date is newer; the digits are compared as
  numbers group by group, which orders every `dateformat` that puts the larger unit first. Two
  names of one date (`-DATE`, `-DATE.1`) are told apart by their mtimes. The kubelet's
  `app.log.20260102-150405` (a dot, then eight digits or more) is dated too.

Within a scheme the name decides and the mtime only breaks a tie; between two schemes (a file
renamed by hand) only the mtimes can say. A compressed name other than `.gz` cannot be read, so it
is not a generation we could use.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from logsidecar.tail.identity import FileId

# A file as it is at one moment: (device, inode, mtime, size). A new file that reuses a freed
# inode is not the file that had it: its mtime and size tell them apart.
FileState = tuple[int, int, int, int]

_NUMBERED = re.compile(r"\.(\d{1,7})(\.gz)?\Z")
_DATED = re.compile(r"(?:-|\.(?=\d{8}))(\d+(?:[-_]\d+)*)(?:\.(\d+))?(\.gz)?\Z")


@dataclass(frozen=True)
class RotatedName:
    """Where a name stands among the generations of its live file."""

    scheme: str  # "numbered" or "dated"
    key: tuple[int, ...]  # numbered: (N,); dated: the date's digit groups (a `.N` after it: a tie)
    gz: bool


def rotated_name(live: str, name: str) -> RotatedName | None:
    """How `name` (a base name) is a rotated generation of the live base name `live`, if it is."""
    if not name.startswith(live) or name == live:
        return None
    rest = name[len(live) :]
    m = _NUMBERED.fullmatch(rest)
    if m:
        return RotatedName("numbered", (int(m.group(1)),), m.group(2) is not None)
    m = _DATED.fullmatch(rest)
    if m:
        groups = tuple(int(g) for g in re.split(r"[-_]", m.group(1)))
        return RotatedName("dated", groups, m.group(3) is not None)
    return None


@dataclass(frozen=True)
class Generation:
    """A rotated file as found in a directory: its path, its place in the order, its stat."""

    path: str
    name: RotatedName
    mtime_ns: int
    fid: FileId
    size: int

    @property
    def state(self) -> FileState:
        return (self.fid.dev, self.fid.ino, self.mtime_ns, self.size)


def compare(a: Generation, b: Generation) -> int:
    """Negative when `a` is older than `b`, positive when newer, 0 when nothing tells them apart."""
    if a.name.scheme == b.name.scheme and a.name.key != b.name.key:
        if a.name.scheme == "numbered":  # a lower number is newer
            return -1 if a.name.key > b.name.key else 1
        return -1 if a.name.key < b.name.key else 1
    return (a.mtime_ns > b.mtime_ns) - (a.mtime_ns < b.mtime_ns)


def oldest_first(generations: list[Generation]) -> list[Generation]:
    return sorted(generations, key=functools.cmp_to_key(compare))


def newer_than(candidate: Generation, anchor: Generation) -> bool:
    """Whether `candidate` was rotated after `anchor` (a tie is not newer)."""
    return compare(candidate, anchor) > 0
