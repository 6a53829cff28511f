"""The state file: offsets, metric state and detector state, committed together, atomically.

One JSON document, versioned, written as temp file + fsync + rename + fsync of the directory, so
a crash at any instant leaves either the old or the new state, never a torn one. A state file
that cannot be read, or is of another version, is moved aside (kept for inspection) and logsidecar
starts fresh.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logsidecar.errors import StateError

VERSION = 1
FILENAME = "logsidecar-state.json"


@dataclass
class LoadResult:
    state: dict[str, Any] | None
    moved_aside: str | None = None  # where an unusable state file was put
    reason: str = ""


class Checkpoint:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / FILENAME

    def load(self, now: float) -> LoadResult:
        """The saved state, or None when there is none (or it was unusable and moved aside)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return LoadResult(None)
        except OSError as exc:
            raise StateError(f"cannot read {self.path}: {exc}") from exc
        reason = ""
        try:
            state = json.loads(raw)
            if not isinstance(state, dict):
                reason = "not a JSON object"
            elif state.get("version") != VERSION:
                reason = f"version {state.get('version')!r}, expected {VERSION}"
        except ValueError as exc:
            reason = f"not valid JSON: {exc}"
        if not reason:
            return LoadResult(state)
        aside = self.path.with_name(f"{FILENAME}.unusable-{int(now)}")
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            raise StateError(f"cannot move aside {self.path}: {exc}") from exc
        return LoadResult(None, str(aside), reason)

    def save(self, state: dict[str, Any]) -> int:
        """Write `state` atomically; returns its size in bytes. Raises StateError."""
        body = json.dumps({**state, "version": VERSION}, separators=(",", ":")).encode()
        tmp = self.path.with_name(f".{FILENAME}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            try:
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            dir_fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise StateError(f"cannot write {self.path}: {exc}") from exc
        return len(body)
