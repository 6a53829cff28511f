"""What content the tailer already accounts for, so that a rotated file is read from 0 only when
no stream ever read it.

A file is accounted for when it is a file a stream holds open (by inode), or when it holds the
content a fingerprint was taken of: a stream closed since, a checkpointed position. A fingerprint
(inode, head length, head digest) matches a file whose first `head_len` bytes have that digest and
which is either the same inode, or whose head is the whole 1 KiB fingerprint, or whose content is
exactly that head (a small file compressed to `.gz`). An empty fingerprint matches nothing: what
was written to that file after it was seen empty was never read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from logsidecar.tail.identity import HEAD_BYTES, FileId, head_digest

RECENT_CLOSED = 64  # closed streams remembered (and committed), newest last


@dataclass(frozen=True)
class Fingerprint:
    fid: FileId
    head_len: int
    head_digest: str

    def matches(self, fid: FileId, head: bytes) -> bool:
        if not self.head_len or len(head) < self.head_len:
            return False
        if head_digest(head[: self.head_len]) != self.head_digest:
            return False
        return fid == self.fid or self.head_len == HEAD_BYTES or len(head) == self.head_len

    def to_json(self) -> dict[str, Any]:
        return {
            "dev": self.fid.dev,
            "ino": self.fid.ino,
            "head_len": self.head_len,
            "head_digest": self.head_digest,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fingerprint:
        fid = FileId(int(data["dev"]), int(data["ino"]))
        return cls(fid, int(data["head_len"]), str(data["head_digest"]))


@dataclass
class Known:
    """Files held open (by inode) and content read before (by fingerprint)."""

    fids: set[FileId] = field(default_factory=set)
    prints: list[Fingerprint] = field(default_factory=list)

    def accounts_for(self, fid: FileId, head: bytes) -> bool:
        return fid in self.fids or any(p.matches(fid, head) for p in self.prints)


class RecentlyClosed:
    """Fingerprints of the last RECENT_CLOSED streams closed: a late write or a compressed copy of
    one of those files is not a generation nobody read."""

    def __init__(self, prints: Iterable[Fingerprint] = ()) -> None:
        self.prints: deque[Fingerprint] = deque(prints, maxlen=RECENT_CLOSED)

    def add(self, fp: Fingerprint) -> None:
        if fp.head_len:
            self.prints.append(fp)

    def to_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.prints]

    @classmethod
    def from_json(cls, data: Iterable[dict[str, Any]]) -> RecentlyClosed:
        return cls(Fingerprint.from_json(d) for d in data)
