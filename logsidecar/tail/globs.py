"""One glob language for every place that turns a source's `paths` and `exclude` into files.

A pattern is made absolute (`os.path.abspath`, against the working directory) and cut at `/`
into segments. In a segment:

- `*` matches any run of characters, `?` any one character, `[abc]`, `[a-z]` one of a set and
  `[!abc]` one not in it (a `]` right after `[` or `[!` is a member; a `[` without its `]` is
  literal; `^` has no special meaning; there is no backslash escape: `[*]` is a literal `*`).
  None of them ever matches `/`.
- A name that starts with `.` is matched by `*`, `?` and `[...]` like any other name: `*.log`
  matches `.app.log`, and `**` walks into hidden directories.
- A segment that is exactly `**` matches zero or more whole segments: `/a/**/b` matches `/a/b`
  and `/a/x/y/b`; a trailing `/a/**` matches everything below `/a`. Anywhere else `**` is `*`.

Matching is case-sensitive and compares the text of paths: a path is not resolved through
symlinks before it is matched.

An exclusion pattern excludes a path when it matches the path's file name or the whole (absolute)
path: a pattern without a `/` (`*.gz`) is tested against the file name, one with a `/` is made
absolute like `paths` and tested against the whole path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

MAX_DEPTH = 32  # directories below the static prefix that `**` walks into, at most
_MAGIC = frozenset("*?[")
_NOT_SLASH = "[^/]"
_ANY_SEGMENTS = "(?:/[^/]++)*"  # `**`: zero or more whole segments, each taken whole


def has_magic(segment: str) -> bool:
    """Whether `segment` holds a wildcard character (it may still match only itself)."""
    return not _MAGIC.isdisjoint(segment)


def _char_class(pattern: str, start: int) -> tuple[str, int] | None:
    """The regex for the `[...]` at `pattern[start]` and the index after it; None if unclosed."""
    i = start + 1
    negate = i < len(pattern) and pattern[i] == "!"
    if negate:
        i += 1
    body_start = i
    if i < len(pattern) and pattern[i] == "]":
        i += 1  # a leading `]` is a member
    end = pattern.find("]", i)
    if end < 0:
        return None
    body = pattern[body_start:end]
    items: list[str] = []
    j = 0
    while j < len(body):
        if j + 2 < len(body) and body[j + 1] == "-":
            low, high = body[j], body[j + 2]
            if low <= high:  # a reversed range is empty
                items.append(f"{re.escape(low)}-{re.escape(high)}")
            j += 3
        else:
            items.append(re.escape(body[j]))
            j += 1
    members = "".join(items)
    if negate:
        return f"[^/{members}]", end + 1
    if not members:
        return "(?!)", end + 1  # an empty set matches nothing
    return f"(?!/)[{members}]", end + 1


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1
            out.append(_NOT_SLASH + "*")
        elif c == "?":
            out.append(_NOT_SLASH)
        elif c == "[" and (found := _char_class(segment, i)) is not None:
            regex, i = found
            out.append(regex)
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _segments(path: str) -> list[str]:
    """The segments of an absolute, normalised path (the root has none)."""
    return [s for s in path.split("/") if s]


class Glob:
    """One pattern, made absolute and compiled once."""

    def __init__(self, pattern: str) -> None:
        self.pattern = os.path.abspath(pattern)
        self.segments = _segments(self.pattern)
        regex: list[str] = []
        for segment in self.segments:
            if segment == "**":
                if not regex or regex[-1] != _ANY_SEGMENTS:  # `**/**` is one `**`
                    regex.append(_ANY_SEGMENTS)
            else:
                regex.append("/" + _segment_regex(segment))
        self._regex = re.compile("".join(regex), re.DOTALL)
        self._name = _name_regex(self.segments[-1] if self.segments else "")
        compiled: list[re.Pattern[str] | str | None] = []
        for segment in self.segments:
            if segment != "**":
                compiled.append(_seg(segment))
            elif not compiled or compiled[-1] is not None:
                compiled.append(None)
        self._walk = _Walk(compiled)

    def __repr__(self) -> str:
        return f"Glob({self.pattern!r})"

    def matches(self, path: str) -> bool:
        """Whether `path` (made absolute) matches the whole pattern."""
        absolute = os.path.abspath(path)
        return self._regex.fullmatch("" if absolute == "/" else absolute) is not None

    def matches_name(self, name: str) -> bool:
        """Whether the file name `name` matches the pattern's last segment."""
        return self._name.fullmatch(name) is not None

    def static_prefix(self) -> str:
        """The directory above the first segment that has a wildcard: where a walk starts."""
        static: list[str] = []
        for segment in self.segments[:-1]:
            if has_magic(segment):
                break
            static.append(segment)
        return "/" + "/".join(static)

    def walk(self) -> Iterator[str]:
        """Existing paths (of any type) that match, found from the static prefix directory.

        A literal or wildcard segment follows symlinks to directories; `**` does not descend
        into them (so it cannot loop), and goes at most MAX_DEPTH directories deep."""
        root = self.static_prefix()
        start = len(_segments(root))
        if start == len(self.segments):  # no segment left: the root itself
            yield root
            return
        yield from self._walk.below(root, start, 0)


@lru_cache(maxsize=4096)
def _seg(segment: str) -> re.Pattern[str] | str:
    """A literal segment as itself, a wildcard one compiled."""
    return re.compile(_segment_regex(segment), re.DOTALL) if has_magic(segment) else segment


def _name_regex(segment: str) -> re.Pattern[str]:
    if segment == "**":
        return re.compile(_NOT_SLASH + "*")
    return re.compile(_segment_regex(segment), re.DOTALL)


def _scan(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError:  # gone, not a directory, or unreadable: nothing here
        return []


def _is_dir(entry: os.DirEntry[str], follow: bool) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow)
    except OSError:
        return False


class _Walk:
    """A walk of the file system along compiled segments (None for `**`)."""

    def __init__(self, segs: Sequence[re.Pattern[str] | str | None]) -> None:
        self.segs = segs
        # whether segments i+1.. can all match nothing (they are `**`): then segment i may end it
        self.may_end = [all(s is None for s in segs[i + 1 :]) for i in range(len(segs))]

    def below(self, path: str, i: int, depth: int) -> Iterator[str]:
        """Paths below the directory `path` that match segments i.. (more may end there)."""
        seg, last = self.segs[i], i == len(self.segs) - 1
        if isinstance(seg, str):  # a literal: look it up, don't list
            child = os.path.join(path, seg)
            if self.may_end[i] and os.path.lexists(child):
                yield child
            if not last and os.path.isdir(child):
                yield from self.below(child, i + 1, depth)
        elif seg is not None:
            for entry in _scan(path):
                if seg.fullmatch(entry.name) is not None:
                    if self.may_end[i]:
                        yield entry.path
                    if not last and _is_dir(entry, follow=True):
                        yield from self.below(entry.path, i + 1, depth)
        else:  # `**`: no segment at all, or one more (never through a symlink) and `**` again
            if last:
                yield path
            else:
                yield from self.below(path, i + 1, depth)
            if depth >= MAX_DEPTH:
                return
            for entry in _scan(path):
                if _is_dir(entry, follow=False):
                    yield from self.below(entry.path, i, depth + 1)
                elif last:
                    yield entry.path


def compile_glob(pattern: str) -> Glob:
    """The compiled Glob for `pattern`: compiled once per absolute pattern."""
    return _compile(os.path.abspath(pattern))


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> Glob:
    return Glob(pattern)


class Exclusion:
    """An `exclude:` pattern: the file name or, if it holds a `/`, the whole path."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._name = _name_regex(pattern) if "/" not in pattern else None
        self._glob = compile_glob(pattern)

    def excludes(self, path: str) -> bool:
        if self._name is not None:
            return self._name.fullmatch(os.path.basename(path)) is not None
        return self._glob.matches(path)


class Selection:
    """A source's files: any of its globs, none of its exclusions."""

    def __init__(self, paths: Iterable[str], exclude: Iterable[str] = ()) -> None:
        self.globs = tuple(compile_glob(p) for p in paths)
        self.exclusions = tuple(Exclusion(p) for p in exclude)

    def excluded(self, path: str) -> bool:
        return any(x.excludes(path) for x in self.exclusions)

    def wants(self, path: str) -> bool:
        """Whether `path` matches one of the globs and no exclusion."""
        return any(g.matches(path) for g in self.globs) and not self.excluded(path)

    def wants_name(self, path: str) -> bool:
        """Whether the file name of `path` matches the last segment of one of the globs, and
        no exclusion excludes the path."""
        name = os.path.basename(path)
        return any(g.matches_name(name) for g in self.globs) and not self.excluded(path)

    def expand(self) -> list[str]:
        """The regular files (symlinks to them included) the selection wants: sorted absolute
        paths, each once."""
        found = {
            path
            for glob in self.globs
            for path in glob.walk()
            if not self.excluded(path) and os.path.isfile(path)
        }
        return sorted(found)


def selection(paths: Iterable[str], exclude: Iterable[str] = ()) -> Selection:
    """The compiled Selection for these globs and exclusions, compiled once (relative globs
    are made absolute first, so a change of working directory is a new selection)."""
    absolute = tuple(os.path.abspath(p) for p in paths)
    return _select(absolute, tuple(os.path.abspath(p) if "/" in p else p for p in exclude))


@lru_cache(maxsize=1024)
def _select(paths: tuple[str, ...], exclude: tuple[str, ...]) -> Selection:
    return Selection(paths, exclude)


def excluded(path: str, exclude: Sequence[str]) -> bool:
    """Whether an exclusion pattern matches the file name or the whole path of `path`."""
    return selection((), exclude).excluded(path)


def expand(patterns: Iterable[str], exclude: Sequence[str] = ()) -> list[str]:
    """Regular files matching any pattern, minus the excluded ones: sorted absolute paths."""
    return selection(patterns, exclude).expand()
