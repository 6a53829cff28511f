"""Globs to paths, and the directories worth watching for them.

The glob language itself (what `*`, `?`, `[...]` and `**` match) is in `globs`."""

from __future__ import annotations

import os

from logsidecar.tail.globs import excluded, expand, has_magic

__all__ = ["excluded", "expand", "watch_root"]


def watch_root(pattern: str) -> tuple[str, bool]:
    """The deepest existing directory that bounds `pattern`, and whether to watch it recursively."""
    parts = os.path.abspath(pattern).split(os.sep)
    static: list[str] = []
    for part in parts[:-1]:
        if has_magic(part):
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
