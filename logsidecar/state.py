"""Everything logsidecar commits, in one place: the typed, versioned state document.

One state file holds, committed together and atomically (see `checkpoint.py`):

| section          | contributed by           | holds                                       |
|------------------|--------------------------|---------------------------------------------|
| `tail`           | `Tailer.to_state()`      | every file's identity, offset, rotation     |
| `metrics`        | `MetricStore.to_state()` | series, expiry bookkeeping, exemplars       |
| `pending_events` | `Engine.pending_state()` | multiline events not complete yet, per file |
| `detectors`      | `Detectors.to_state()`   | windows, baselines, alert lifecycle         |

and is restored by the matching `restore()` / `from_state()` / `restore_pending()` (detectors
only where the saved definition equals the one in force). `/metrics`
serves only what a committed document holds, so a crash at any instant resumes from a state that
matches what Prometheus saw.

Versions: 2 is written. A version-1 file (one flat object: `positions`, `metrics`,
`pending_events`) is migrated on load; a file of a newer version than this logsidecar knows is
refused with a `StateError` (it is left where it is: a downgrade must not lose it); a file that is
not a state document at all is moved aside and logsidecar starts fresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from logsidecar.checkpoint import Checkpoint
from logsidecar.errors import StateError

VERSION = 2


class StateDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = VERSION
    written_at: float
    rules_digest: str
    tail: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    pending_events: dict[str, Any] = {}
    detectors: dict[str, Any] = {}


class NotAState(ValueError):
    """The object has no version logsidecar ever wrote: it is set aside, not refused."""


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """A document of an older version as the current version. Raises StateError for a newer
    version (refused: a downgrade must not lose it), NotAState for one never written."""
    version = raw.get("version")
    if type(version) is not int:  # a bool or a string is no version we wrote (True == 1)
        raise NotAState(f"version {version!r}: not a logsidecar state document")
    if version == VERSION:
        return raw
    if version == 1:
        return {
            "version": VERSION,
            "written_at": raw.get("written_at", 0.0),
            "rules_digest": raw.get("rules_digest", ""),
            "tail": {"positions": raw.get("positions", [])},
            "metrics": raw.get("metrics", {}),
            "pending_events": raw.get("pending_events", {}),
        }
    if version > VERSION:
        raise StateError(
            f"state file version {version} is newer than this logsidecar reads ({VERSION}):"
            " run a newer logsidecar, or move the file away to start from nothing"
        )
    raise NotAState(f"version {version!r}: not a logsidecar state document")


@dataclass
class Loaded:
    document: StateDocument | None
    migrated_from: int | None = None  # the version read, when it was not the current one
    moved_aside: str | None = None  # where an unusable file was put
    reason: str = ""


class StateFile:
    """The state document in its directory: load (with migration) and save, atomically."""

    def __init__(self, directory: str) -> None:
        self._checkpoint = Checkpoint(directory)

    @property
    def path(self) -> str:
        return str(self._checkpoint.path)

    def load(self, now: float) -> Loaded:
        """The last committed document, or None. Raises StateError when the file cannot be
        read or is of a newer version; moves aside one that is not a state document."""
        raw, aside, reason = self._checkpoint.load(now)
        if raw is None:
            return Loaded(None, moved_aside=aside, reason=reason)
        version = raw.get("version")
        try:
            document = StateDocument.model_validate(migrate(raw))
        except NotAState as exc:
            return Loaded(None, moved_aside=self._checkpoint.move_aside(now), reason=str(exc))
        except ValidationError as exc:
            aside = self._checkpoint.move_aside(now)
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            return Loaded(None, moved_aside=aside, reason=f"{where}: {first['msg']}")
        return Loaded(document, version if version != VERSION else None)

    def move_aside(self, now: float) -> str:
        """Put the file aside (kept for inspection); where it went. Raises StateError."""
        return self._checkpoint.move_aside(now)

    def save(self, document: StateDocument) -> int:
        """Write atomically; the size in bytes. Raises StateError."""
        return self._checkpoint.save(document.model_dump())
