"""The state file on disk: one JSON object, written atomically.

Written as temp file + fsync + rename + fsync of the directory, so a crash at any instant leaves
either the old or the new file, never a torn one. A file that is not a JSON object is moved
aside (kept for inspection). What the object holds is `state.py`'s business.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from logsidecar.errors import StateError

FILENAME = "logsidecar-state.json"


class Checkpoint:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / FILENAME

    def load(self, now: float) -> tuple[dict[str, Any] | None, str | None, str]:
        """(object, None, "") when there is one; (None, None, "") when there is no file;
        (None, where it was moved, why) when it was not a JSON object. Raises StateError when
        the file cannot be read or moved."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None, None, ""
        except OSError as exc:
            raise StateError(f"cannot read {self.path}: {exc}") from exc
        try:
            state = json.loads(raw)
            reason = "" if isinstance(state, dict) else "not a JSON object"
        except ValueError as exc:
            reason = f"not valid JSON: {exc}"
        if not reason:
            return state, None, ""
        return None, self.move_aside(now), reason

    def move_aside(self, now: float) -> str:
        aside = self.path.with_name(f"{FILENAME}.unusable-{int(now)}")
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            raise StateError(f"cannot move aside {self.path}: {exc}") from exc
        return str(aside)

    def save(self, state: dict[str, Any]) -> int:
        """Write `state` atomically; returns its size in bytes. Raises StateError."""
        body = json.dumps(state, separators=(",", ":")).encode()
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
