"""The loop that ticks: read, evaluate, commit when due, reload when asked, then sleep.

One thread (the caller's) runs it and owns the core. It wakes on file events, signals and reload
requests (the waker), or after `poll_interval`. A tick never sleeps; `run()` sleeps between ticks
for as long as `tick()` says, so tests drive `tick()` with a fake clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from logsidecar.clock import Clock, Waker
from logsidecar.service.committer import Committer
from logsidecar.service.core import Core
from logsidecar.service.reloader import Reloader, Requests

# Globs are re-evaluated when a watch event wakes the loop and at least this often: the safety
# net for volumes where inotify says nothing.
RESCAN_SECONDS = 10.0
# A ConfigMap update is a burst of events (new directory, `..data` swapped, then links for new
# keys): reload once it has been quiet this long, not halfway through it.
RULES_SETTLE_SECONDS = 0.1
# Detectors are evaluated at least this often, input or not: an absence fires with no line at
# all, a pending alert turns firing once its `for` has passed, a window's old matches expire.
DETECT_SECONDS = 1.0


@dataclass(frozen=True)
class Intervals:
    poll: float = 2.0
    commit: float = 1.0
    rules_check: float = 10.0


class Loop:
    def __init__(
        self,
        core: Core,
        committer: Committer,
        reloader: Reloader,
        requests: Requests,
        clock: Clock,
        waker: Waker,
        intervals: Intervals,
        on_rules_applied: Callable[[], None] = lambda: None,
    ) -> None:
        self.core = core
        self.committer = committer
        self.reloader = reloader
        self.requests = requests
        self.clock = clock
        self.waker = waker
        self.intervals = intervals
        self._on_rules_applied = on_rules_applied  # e.g. watch the new sources' directories
        self.stopping = threading.Event()
        self._rules_event: float | None = None  # when the rules watch last saw a change
        self.heartbeat = clock.monotonic()
        self.first_pass_done = False
        self._dirty = True
        self._rescan = True
        self._last_commit = self._last_rescan = self._last_rules_check = clock.monotonic()
        self._last_detect = clock.monotonic()

    def tick(self) -> float:
        """One turn. Returns how long to sleep before the next (0: go on at once)."""
        core, now = self.core, self.clock.monotonic()
        self.heartbeat = now
        more = False
        if core.loaded:
            if self._rescan:
                self._last_rescan = now
            batches, more = core.tailer.poll(self._rescan)
            if batches:
                core.process(batches)
                self._dirty = True
            self._dirty = core.flush_quiet() or self._dirty or bool(core.tailer.stats)
            if core.has_detectors and now - self._last_detect >= DETECT_SECONDS:
                self._detect(now)
        self._rescan = more
        # A new file is read only once its identity is committed: commit for it at once,
        # unless commits are failing (then at the commit interval, not in a busy loop).
        waiting = core.tailer.awaiting_commit and not self.committer.failing
        due = now - self._last_commit >= self.intervals.commit
        if core.loaded and (waiting or (self._dirty and due)):
            self._dirty = not self.committer.commit()
            self._last_commit = now
            more = more or (waiting and not self._dirty)
        self.first_pass_done = True
        if self._reload(now):
            more = True  # a new source's files are looked for now, not at the next rescan
        if more:
            self._rescan = True
            return 0.0
        wait = self.intervals.poll
        if self._dirty:
            wait = min(wait, max(0.0, self.intervals.commit - (now - self._last_commit)))
        if self._rules_event is not None:
            wait = min(wait, max(0.0, self._rules_event + RULES_SETTLE_SECONDS - now))
        if core.loaded and core.has_detectors:
            wait = min(wait, max(0.0, self._last_detect + DETECT_SECONDS - now))
        return wait

    def _detect(self, now: float) -> None:
        """The detectors' timer. What they show changed (an alert, or a value): commit."""
        self._last_detect = now
        changed = self.core.evaluate()
        shown = self.core.detectors.snapshot()
        published = self.committer.anomalies
        if changed or shown.values != published.values or shown.active != published.active:
            self._dirty = True

    def rules_changed(self) -> None:
        """The rules watch saw a change (called from its thread)."""
        self._rules_event = self.clock.monotonic()
        self.waker.wake()

    def _reload(self, now: float) -> bool:
        """Reload when asked, or when the rule files may have changed. True when new rules
        were put in force."""
        before = self.reloader.running
        reasons = self.requests.take()
        if reasons:
            outcome = self.reloader.load("+".join(sorted(set(reasons))))
            self.requests.answer(outcome)
        elif self._rules_settled(now) or now - self._last_rules_check >= self.intervals.rules_check:
            self._rules_event = None
            self._last_rules_check = now
            self.reloader.load("change", only_if_changed=True)
        if self.reloader.running is before:
            return False
        self._dirty = True
        self._on_rules_applied()
        return True

    def _rules_settled(self, now: float) -> bool:
        event = self._rules_event
        return event is not None and now - event >= RULES_SETTLE_SECONDS

    def after_wake(self, woken: bool) -> None:
        """Rescan the globs after a watch event woke us, or when the slow timer is due."""
        rescan_every = max(self.intervals.poll, RESCAN_SECONDS)
        self._rescan = woken or self.clock.monotonic() - self._last_rescan >= rescan_every

    def run(self) -> None:
        while not self.stopping.is_set():
            wait = self.tick()
            if wait > 0 and not self.stopping.is_set():
                self.after_wake(self.waker.wait(wait))

    def stop(self) -> None:
        self.stopping.set()
        self.waker.wake()
