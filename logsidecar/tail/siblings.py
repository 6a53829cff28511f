"""Finding a file again after a rotation: by its inode (renamed), by its head (copied), and the
rotated generations of a live file that no stream has read (see tail/generations.py)."""

from __future__ import annotations

import os
import stat

from logsidecar.tail.generations import (
    FileState,
    Generation,
    newer_than,
    oldest_first,
    rotated_name,
)
from logsidecar.tail.identity import HEAD_BYTES, FileId, head_digest
from logsidecar.tail.known import Known
from logsidecar.tail.stream import read_head


def find_renamed(directory: str, fid: FileId) -> str | None:
    """The path in `directory` that now names the file `fid`, if it was renamed there."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return None
    for entry in entries:
        try:
            if entry.inode() == fid.ino and entry.stat(follow_symlinks=False).st_dev == fid.dev:
                return entry.path
        except OSError:
            continue
    return None


def rotated_siblings(path: str) -> list[Generation]:
    """The rotated generations of the live file `path` in its directory, oldest first."""
    directory, live = os.path.split(path)
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return []
    found = []
    for entry in entries:
        name = rotated_name(live, entry.name)
        if name is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            found.append(Generation(entry.path, name, st.st_mtime_ns, FileId.of(st), st.st_size))
    return oldest_first(found)


def generation_of(path: str, live: str) -> Generation | None:
    """`path` as a rotated generation of the live file `live`, if its name is one."""
    if os.path.dirname(path) != os.path.dirname(live):
        return None
    return next((g for g in rotated_siblings(live) if g.path == path), None)


def find_copy(
    path: str, head_len: int, digest: str, min_size: int, known: Known
) -> Generation | None:
    """The oldest rotated copy of `path` (app.log.1, app.log-20260101, app.log.1.gz ...) that no
    stream accounts for, whose first `head_len` bytes have `digest` and which holds at least
    `min_size` bytes: where a copytruncate put the bytes we had read and those we had not. The
    oldest, because a later copy with the same head can only hold a later generation. A file with
    no head (empty) has no copy to find by it (see find_generations)."""
    if not head_len:
        return None
    for gen in rotated_siblings(path):
        if not gen.name.gz and gen.size < min_size:
            continue
        head = read_head(gen.path, HEAD_BYTES)
        if head is None or len(head) < head_len or known.accounts_for(gen.fid, head):
            continue
        if head_digest(head[:head_len]) == digest:
            return gen
    return None


def sibling_ids(path: str) -> frozenset[FileState]:
    """The files that are rotated generations of `path` now, as they are now."""
    return frozenset(g.state for g in rotated_siblings(path))


def find_generations(
    path: str,
    known: Known,
    after: Generation | None = None,
    since_ns: int | None = None,
    existed: frozenset[FileState] = frozenset(),
) -> list[Generation]:
    """The rotated generations of `path` that nobody read, oldest first: each not accounted for
    by `known`, not empty, and newer than `after` (by rotation order) or, with no such anchor,
    modified at or after `since_ns` (the mtime of `path` when it was last seen) and not one of
    the files that `existed` then, unchanged (see sibling_ids)."""
    found = []
    for gen in rotated_siblings(path):
        if gen.state in existed:
            continue
        if after is not None:
            if not newer_than(gen, after):
                continue
        elif since_ns is None or gen.mtime_ns < since_ns:
            continue
        if not gen.name.gz and gen.size == 0:
            continue
        head = read_head(gen.path, HEAD_BYTES)
        if head and not known.accounts_for(gen.fid, head):
            found.append(gen)
    return found
