"""File identity, and the pure decision of what happened to a file when its reader hits EOF."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileId:
    dev: int
    ino: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileId:
        return cls(st.st_dev, st.st_ino)


class Change(enum.Enum):
    IDLE = "idle"  # nothing new
    GROWN = "grown"  # more bytes past our offset
    TRUNCATED = "truncated"  # same file, now shorter than what we read
    ROTATED = "rotated"  # the path now names another file; ours was renamed away
    DELETED = "deleted"  # the path names nothing now


def classify(ours: FileId, offset: int, open_size: int, at_path: os.stat_result | None) -> Change:
    """What happened, decided at EOF from values only.

    `open_size` is the size of the file we hold open (fstat), `at_path` a stat of its path now.
    """
    if open_size < offset:
        return Change.TRUNCATED
    if open_size > offset:
        return Change.GROWN
    if at_path is None:
        return Change.DELETED
    if FileId.of(at_path) != ours:
        return Change.ROTATED
    return Change.IDLE
