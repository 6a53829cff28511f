"""Restoring the tailer from a committed section: each checkpointed file found again, then the
rotated generations of each live file that were rotated away while we were down.

Each position that was a live file at the commit is an *anchor* for its live path, and the
generations nobody read are those found after it (tail/siblings.find_generations):

- renamed to a rotated name (`create`): the names newer than where it is now;
- truncated, its bytes in a rotated copy (copytruncate), or itself gone and a copy holding it
  (compressed): the names newer than that copy;
- seen only while empty (known by its inode alone, which a new file may have taken): the
  siblings modified at or after its mtime then, other than those it had then;
- truncated with no copy, or gone with none: likewise, by its mtime when last seen.

An older generation (one read and closed before the commit) is never newer than the anchor: by
its name, or by its mtime and the fingerprints of the streams closed before the commit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from errno import ENOENT
from typing import TYPE_CHECKING, Any

from logsidecar.errors import StateError
from logsidecar.tail.generations import FileState, Generation
from logsidecar.tail.identity import FileId, head_digest
from logsidecar.tail.known import RecentlyClosed
from logsidecar.tail.rotation import known, open_copy, open_generations
from logsidecar.tail.siblings import find_copy, find_generations, find_renamed, generation_of
from logsidecar.tail.stream import FileStream, Position, read_head, stat_path

if TYPE_CHECKING:
    from logsidecar.tail.tailer import Tailer, WatchSpec


@dataclass
class _Anchor:
    source: str
    live: str  # the live path the position was committed at
    reader: FileStream | None = None  # reads the anchor's bytes: the generations go after it
    successor: FileStream | None = None  # the restored stream at `live`: it goes after them
    after: Generation | None = None  # where the anchor's bytes are now, by name
    since_ns: int | None = None  # else: its mtime when last seen
    copy_first: bool = False  # it was empty: the oldest found is its copy
    existed: frozenset[FileState] = frozenset()  # it was empty: its siblings then


def parse_section(section: Mapping[str, Any]) -> tuple[list[Position], RecentlyClosed]:
    """The section's positions and closed fingerprints, read without I/O. Raises StateError
    for a section that is not one `to_state()` could have written."""
    try:
        positions = [Position.from_json(p) for p in section.get("positions", [])]
        closed = RecentlyClosed.from_json(section.get("closed", []))
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise StateError(f"the tail section of the state file: {exc!r}") from exc
    return positions, closed


def restore_section(tailer: Tailer, section: Mapping[str, Any]) -> None:
    positions, tailer.closed = parse_section(section)
    anchors = []
    # A file that was empty at the commit has no head to know it by, only its inode: it comes
    # last, so that it cannot take a file another position knows better.
    for pos in sorted(positions, key=lambda p: p.head_len == 0):
        spec = tailer.spec_of(pos.source)
        if spec is None or (pos.source, pos.fid) in tailer.streams:
            continue
        tailer.fresh_sources.discard(pos.source)
        anchor = _restore_one(tailer, spec, pos)
        if anchor is not None:
            anchors.append(anchor)
    _relink(tailer, positions)
    for anchor in anchors:  # every checkpointed file is known now: the rest nobody read
        generations = find_generations(
            anchor.live, known(tailer), anchor.after, anchor.since_ns, anchor.existed
        )
        last = open_generations(
            tailer, anchor.source, generations, anchor.reader, anchor.copy_first
        )
        if anchor.successor is not None:
            anchor.successor.after = last
        else:
            tailer.read_next(anchor.source, anchor.live, last)


def _relink(tailer: Tailer, positions: list[Position]) -> None:
    """Streams committed while waiting for another (generations read in rotation order) wait
    for it again."""
    for pos in positions:
        stream = tailer.streams.get((pos.source, pos.fid))
        if stream is not None and len(pos.after) == 2 and stream.after is None:
            stream.after = tailer.streams.get((pos.source, FileId(*pos.after)))


def _restore_one(tailer: Tailer, spec: WatchSpec, pos: Position) -> _Anchor | None:
    was_live = not pos.draining and spec.wants(pos.path)
    since = pos.mtime_ns or None  # a version-1 position has none: no search by time
    existed = frozenset(pos.siblings)
    copy = None
    path = locate(pos)
    if path is None and pos.head_len:  # a copy is known by its head: never an empty one's
        copy = find_copy(pos.path, pos.head_len, pos.head_digest, known(tailer), pos.head_bytes)
        path = copy.path if copy is not None else None
        if copy is not None:
            tailer.stats.recovered[pos.source] += 1
    framer = tailer.framer()
    framer.restore(b"", pos.skipping)
    stream, error = None, None
    if path is not None:
        stream, error = FileStream.open_or_error(path, pos.source, framer, pos.offset)
    if stream is None and path is not None and error is not None and error.errno != ENOENT:
        tailer.unopened.append(pos)  # there, but not readable now: tried again at each look
        tailer.open_failed(pos.source, path, error)
        return None
    if stream is None:
        tailer.stats.lost.append(pos.path)
        return _Anchor(pos.source, pos.path, since_ns=since, existed=existed) if was_live else None
    live = not pos.draining and spec.wants(stream.path)
    durable = stream.fid == pos.fid
    stream.generation = pos.generation and durable  # its lines still count as recovered
    if copy is None and stream.size() < pos.offset:  # truncated while we were down
        copy = find_copy(pos.path, pos.head_len, pos.head_digest, known(tailer), pos.head_bytes)
        reader = None
        if copy is not None:
            reader = open_copy(tailer, copy.path, pos.source, pos.offset, framer)
        stream.rewind(tailer.framer())
        tailer.adopt(stream, live, durable)
        if not was_live:
            return None
        return _Anchor(pos.source, pos.path, reader, stream, copy, None if copy else since)
    tailer.adopt(stream, live, durable)
    if not was_live:
        return None
    if copy is not None:  # its head replaced, or its inode gone: read on in the copy
        return _Anchor(pos.source, pos.path, stream, after=copy)
    at_path = stream.path == pos.path
    if not pos.head_len and since is not None:
        # Known by its inode only, which a new file may have taken since: anchored by time.
        if at_path:
            stream.siblings_then = existed  # as they were when it was seen empty
            return _Anchor(pos.source, pos.path, None, stream, None, since, True, existed)
        return _Anchor(pos.source, pos.path, stream, None, None, since, False, existed)
    if at_path:
        return None  # where it was: nothing rotated after it
    rotated = generation_of(stream.path, pos.path)
    return None if rotated is None else _Anchor(pos.source, pos.path, stream, after=rotated)


def retry_unopened(tailer: Tailer) -> None:
    """Open the checkpointed files that were found but could not be opened at the restore: a
    file that becomes readable goes on from its offset (and is not read again from 0)."""
    for pos in list(tailer.unopened):
        spec = tailer.spec_of(pos.source)
        path = locate(pos) if spec is not None else None
        if spec is None or path is None:
            tailer.unopened.remove(pos)
            if spec is not None:
                tailer.stats.lost.append(pos.path)
            continue
        framer = tailer.framer()
        framer.restore(b"", pos.skipping)
        stream, error = FileStream.open_or_error(path, pos.source, framer, pos.offset)
        if stream is None:
            if error is not None:
                tailer.open_failed(pos.source, path, error)
            continue
        tailer.unopened.remove(pos)
        if head_digest(stream.head[: pos.head_len]) != pos.head_digest:
            stream.close()  # another file took its inode: the globs will find it
            tailer.stats.lost.append(pos.path)
            continue
        if stream.size() < pos.offset:
            stream.rewind(tailer.framer())
        tailer.adopt(stream, not pos.draining and spec.wants(path), durable=True)


def locate(pos: Position) -> str | None:
    """The path that names the checkpointed file now, checked by identity and head (a file
    whose head cannot be read now is taken at its identity: opening it will tell)."""
    candidates = [pos.path]
    renamed = find_renamed(os.path.dirname(pos.path) or ".", pos.fid)
    if renamed is not None and renamed != pos.path:
        candidates.append(renamed)
    for path in candidates:
        st = stat_path(path)
        if st is None or FileId.of(st) != pos.fid:
            continue
        head = read_head(path, pos.head_len)
        if head is None and not path.endswith(".gz"):
            return path  # unreadable now
        if head is not None and len(head) == pos.head_len and head_digest(head) == pos.head_digest:
            return path
    return None
