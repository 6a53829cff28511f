"""inotify hints through watchdog. Events only wake a loop; a stat is always the truth.

Log directories are watched for directory-level events only (create, move, delete): a busy
file's writes would otherwise cost an event each; growth is found by the tailer's own reads and
its slow poll. The rules directory is also watched for edits in place (modify, close after
write). Opens and reads are never asked for: the loop's own reads would wake it again, forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

LOG_EVENTS = (
    FileCreatedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    DirCreatedEvent,
    DirMovedEvent,
    DirDeletedEvent,
)
CONFIG_EVENTS = (*LOG_EVENTS, FileModifiedEvent, FileClosedEvent)
WAKE_SECONDS = 30.0


class _Handler(FileSystemEventHandler):
    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._on_change()


class DirectoryWatch:
    """Keeps a watchdog observer watching exactly the given directories."""

    def __init__(
        self, on_change: Callable[[], None], events: tuple[type[FileSystemEvent], ...]
    ) -> None:
        self._handler = _Handler(on_change)
        # The observer's threads wake every `timeout` seconds even with nothing to report:
        # a long one keeps an idle sidecar idle. stop() still ends them at once.
        self._observer = Observer(timeout=WAKE_SECONDS)
        self._observer.daemon = True
        self._watches: dict[tuple[str, bool], ObservedWatch] = {}
        self._started = False
        self._events = list(events)

    def update(self, roots: Iterable[tuple[str, bool]]) -> None:
        wanted = set(roots)
        for key in list(self._watches):
            if key not in wanted:
                self._observer.unschedule(self._watches.pop(key))
        for key in wanted - set(self._watches):
            path, recursive = key
            try:
                self._watches[key] = self._observer.schedule(
                    self._handler, path, recursive=recursive, event_filter=self._events
                )
            except OSError:
                continue  # gone again, or no inotify: the poll still finds everything
        if not self._started:
            self._observer.start()
            self._started = True

    def stop(self) -> None:
        if self._started:
            self._observer.stop()
            self._observer.join(timeout=5)
