"""What the tailer does when a file was rotated under it, and the generations nobody read.

When a file was rotated more than once between two looks (or while we were down), the
generations in between were never seen. After a rename, a copytruncate or a restore, the rotated
names of the live file (tail/generations.py) that are newer than the one holding our bytes (the
*anchor*), and that no stream accounts for (tail/known.py), are read from 0, oldest first, each
after the one before, and the live file after the last of them.

A file seen only while empty has no head, so no copy can be known by it. Its anchor is a moment
instead: its mtime when it was seen empty, and the rotated siblings it had then. Every byte of it
was written after that, so a copy of them was made after that too: a rotated sibling that was
not there then, modified at or after that mtime, not empty, and which no stream accounts for, is
such a copy (or a later generation), and is read from 0. A file truncated with no copy to be
found, or deleted (or whose checkpointed inode is gone), is anchored by its mtime when last seen.
What rules out the older siblings is their name (older than the anchor), or what is known: every
file a stream holds, every stream closed lately and every position committed, by inode and head.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from logsidecar.logline import LineBatch
from logsidecar.tail.framing import Framer
from logsidecar.tail.generations import Generation
from logsidecar.tail.identity import head_digest
from logsidecar.tail.known import Fingerprint, Known
from logsidecar.tail.siblings import (
    find_copy,
    find_generations,
    find_renamed,
    generation_of,
    sibling_ids,
)
from logsidecar.tail.stream import FileStream, read_head

if TYPE_CHECKING:
    from logsidecar.tail.tailer import Tailer


def known(tailer: Tailer) -> Known:
    """What the open streams and the recently closed ones account for."""
    prints = []
    for stream in tailer.streams.values():
        if stream.draining:
            stream.refresh_head()  # a compressed copy holds all it has now
            prints.append(stream.fingerprint())
    fids = {s.fid for s in tailer.streams.values()}
    return Known(fids, prints + list(tailer.closed.prints))


def open_copy(
    tailer: Tailer, path: str, source: str, offset: int, framer: Framer
) -> FileStream | None:
    """Read the rest of a copytruncated file from its copy, with the framer it had."""
    copy, error = FileStream.open_or_error(path, source, framer, offset)
    if error is not None:
        tailer.open_failed(source, path, error)
    if copy is None or (source, copy.fid) in tailer.streams:
        if copy is not None:
            copy.close()
        return None
    tailer.adopt(copy, live=False)
    tailer.stats.recovered[source] += 1
    return copy


def open_generations(
    tailer: Tailer,
    source: str,
    generations: list[Generation],
    first: FileStream | None,
    copy_first: bool = False,
) -> FileStream | None:
    """Open rotated generations nobody read, each read after the one before (`first`, the
    stream holding the anchor, goes before them all); returns the last of the chain.
    `copy_first`: the oldest is the copy of a file seen empty (counted as a copy read)."""
    last = first
    for gen in generations:
        stream, error = FileStream.open_or_error(gen.path, source, tailer.framer(), 0)
        if error is not None:
            tailer.open_failed(source, gen.path, error)
        if stream is None or (source, stream.fid) in tailer.streams:
            if stream is not None:
                stream.close()
            continue
        stream.after = last
        tailer.adopt(stream, live=False)
        if copy_first and last is first:
            tailer.stats.recovered[source] += 1
        else:
            stream.generation = True
            tailer.stats.generations[source] += 1
        last = stream
    return last


def moved(tailer: Tailer, stream: FileStream) -> None:
    """Our file's path names another file, or nothing: follow it, or drain it. When it was
    renamed to a rotated name, the generations rotated after it are read next; when it is gone,
    those modified since we last saw it."""
    tailer.stats.rotations[stream.source] += 1
    spec = tailer.spec_of(stream.source)
    renamed = find_renamed(os.path.dirname(stream.path) or ".", stream.fid)
    live = renamed is not None and spec is not None and spec.wants(renamed)
    old = stream.path
    tailer.rename(stream, renamed or stream.path, live)
    if live:
        return
    if renamed is None:
        generations = find_generations(old, known(tailer), since_ns=stream.seen_mtime_ns)
    else:
        anchor = generation_of(renamed, old)
        generations = [] if anchor is None else find_generations(old, known(tailer), anchor)
    last = open_generations(tailer, stream.source, generations, stream)
    if last is not stream:
        tailer.read_next(stream.source, old, last)


def lost_content(tailer: Tailer, stream: FileStream, size: int, seen_ns: int) -> bool:
    """Whether the file lost bytes we had not read: truncated, its head replaced, or (seen
    only while empty, so no head to tell) written since and copied to rotated names by a
    copytruncate before we read it."""
    if size < stream.offset or not stream.head_intact():
        return True
    if stream.head or seen_ns == stream.seen_mtime_ns:
        return False
    found = find_generations(stream.path, known(tailer), None, seen_ns, stream.siblings_then)
    return bool(found)


def truncated(tailer: Tailer, stream: FileStream, batches: list[LineBatch], seen_ns: int) -> None:
    """Truncated, replaced (copytruncate) or emptied: read the rest from the copy, then the
    generations newer than it that nobody read, then the file again from 0."""
    tailer.stats.truncations[stream.source] += 1
    copy = None
    if stream.head:
        digest = head_digest(stream.head)
        copy = find_copy(stream.path, len(stream.head), digest, known(tailer), stream.head)
    last = None
    if copy is not None and (copy.name.gz or copy.size > stream.offset):
        last = open_copy(tailer, copy.path, stream.source, stream.offset, stream.framer)
    elif copy is not None or stream.at_eof:
        tailer.flush(stream, batches)  # the file ended in that unfinished line
    # else: we had read only part of a line when its file lost it, and no copy holds the
    # rest; that fragment was never a line, so it is dropped rather than counted
    if copy is not None and last is None:  # we read all it holds: known, not unseen
        theirs = read_head(copy.path) or b""
        tailer.closed.add(Fingerprint(copy.fid, len(theirs), head_digest(theirs)))
    since = None if copy is not None else seen_ns
    existed = stream.siblings_then if not stream.head else frozenset()
    generations = find_generations(stream.path, known(tailer), copy, since, existed)
    copy_first = copy is None and not stream.head  # the oldest: the copy of what was empty
    stream.after = open_generations(tailer, stream.source, generations, last, copy_first)
    stream.rewind(tailer.framer())
    if not stream.head:
        stream.siblings_then = sibling_ids(stream.path)
