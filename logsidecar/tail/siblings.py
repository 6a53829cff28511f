"""Finding a file again after a rotation: by its inode (renamed) or by its head (copied)."""

from __future__ import annotations

import os

from logsidecar.tail.identity import FileId, head_digest
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


def find_copy(path: str, head_len: int, digest: str, exclude: FileId, min_size: int) -> str | None:
    """The newest rotated copy of `path` (app.log.1, app.log-20260101, app.log.1.gz ...) whose
    first `head_len` bytes have `digest` and which holds more than `min_size` bytes: where a
    copytruncate put what we had not read. A file with no head (empty) has no copy to find."""
    if not head_len:
        return None
    directory, name = os.path.split(path)
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return None
    found: list[tuple[float, str]] = []
    for entry in entries:
        if entry.name == name or not entry.name.startswith(name):
            continue
        try:
            st = entry.stat()
        except OSError:
            continue
        if FileId.of(st) == exclude or not entry.is_file():
            continue
        if not entry.name.endswith(".gz") and st.st_size <= min_size:
            continue
        head = read_head(entry.path, head_len)
        if head is not None and head_digest(head) == digest:
            found.append((st.st_mtime, entry.path))
    return max(found)[1] if found else None
