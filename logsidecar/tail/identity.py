"""File identity, and the pure decision of what happened to a file when its reader hits EOF.

A file is known by (device, inode) plus its head: the first HEAD_BYTES bytes (fewer while the
file is shorter). An inode number can be reused by a new file and a path can name another file
after a rotation; the pair of identity and head cannot be fooled by either in practice.
"""

from __future__ import annotations

import enum
import hashlib
import os
from dataclasses import dataclass

HEAD_BYTES = 1024


@dataclass(frozen=True, slots=True)
class FileId:
    dev: int
    ino: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileId:
        return cls(st.st_dev, st.st_ino)


def head_digest(head: bytes) -> str:
    return hashlib.sha256(head).hexdigest()[:32]


class Change(enum.Enum):
    IDLE = "idle"  # still the file at its path: nothing to do
    ROTATED = "rotated"  # the path now names another file; ours was renamed away
    DELETED = "deleted"  # the path names nothing now


def classify(ours: FileId, at_path: os.stat_result | None) -> Change:
    """What became of our file, decided at EOF from values only (`at_path`: a stat of its path
    now, None when the path names nothing). Truncation is decided before reading, by size and
    head (see FileStream.head_intact); this decides only where the file is."""
    if at_path is None:
        return Change.DELETED
    if FileId.of(at_path) != ours:
        return Change.ROTATED
    return Change.IDLE
