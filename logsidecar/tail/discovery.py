"""Globs to paths, and the directories worth watching for them."""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable, Sequence

_MAGIC = ("*", "?", "[")


def _has_magic(part: str) -> bool:
    return any(c in part for c in _MAGIC)


def excluded(path: str, exclude: Sequence[str]) -> bool:
    name = os.path.basename(path)
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(path, p) for p in exclude)


def expand(patterns: Iterable[str], exclude: Sequence[str] = ()) -> list[str]:
    """Regular files matching any pattern (`**` spans directories), minus the excluded ones."""
    found: set[str] = set()
    for pattern in patterns:
        for path in glob.glob(pattern, recursive=True):
            if not excluded(path, exclude) and os.path.isfile(path):
                found.add(os.path.abspath(path))
    return sorted(found)


def watch_root(pattern: str) -> tuple[str, bool]:
    """The deepest existing directory that bounds `pattern`, and whether to watch it recursively."""
    parts = os.path.abspath(pattern).split(os.sep)
    static: list[str] = []
    for part in parts[:-1]:
        if _has_magic(part):
            break
        static.append(part)
    recursive = len(static) < len(parts) - 1
    root = os.sep.join(static) or os.sep
    while not os.path.isdir(root):
        parent = os.path.dirname(root)
        if parent == root:
            break
        root = parent
        recursive = False  # waiting for a directory to appear: one level is enough
    return root, recursive
