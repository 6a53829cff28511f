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
    path: str, head_len: int, digest: str, known: Known, head: bytes = b""
) -> Generation | None:
    """The oldest rotated copy of `path` (app.log.1, app.log-20260101, app.log.1.gz ...) that no
    stream accounts for and whose first `head_len` bytes have `digest`: where a copytruncate put
    the bytes we had read and those we had not. The oldest, because a later copy with the same
    head can only hold a later generation. It may hold less than we had read (a line written
    between logrotate's copy and its truncation is in neither file): it is our copy all the same,
    with nothing left in it to read; given our `head` itself (not just its digest), a copy whose
    whole content is the start of it is found too, when no copy holds all of it: the newest such
    (an old file that held only a first line we read too is older). A file with no head (empty)
    has no copy to find by it (see find_generations)."""
    if not head_len:
        return None
    short = None
    for gen in rotated_siblings(path):
        theirs = read_head(gen.path, HEAD_BYTES)
        if not theirs or known.accounts_for(gen.fid, theirs):
            continue
        if len(theirs) >= head_len and head_digest(theirs[:head_len]) == digest:
            return gen
        if len(theirs) < min(len(head), HEAD_BYTES) and head.startswith(theirs):
            short = gen  # all of it is what we read first: a copy made before we read more
    return short


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
