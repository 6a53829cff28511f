"""The committer: state in, state out, and the only place that publishes to /metrics.

`load()` reads the last state document at start-up (a `StateError` there stops the sidecar);
`restore()` hands its sections to the components once the first rule set is in force (a metric's
series can only be restored against its definition). `commit()` gathers every section, writes
them together, and only then publishes the store's snapshot: `/metrics` never shows a count a
crash could roll back. Without a state directory a commit only publishes.
"""

from __future__ import annotations

import structlog

from logsidecar.clock import Clock
from logsidecar.detect.alerts import AnomalySnapshot
from logsidecar.errors import StateError
from logsidecar.metrics.store import Snapshot
from logsidecar.service.core import Core
from logsidecar.state import StateDocument, StateFile

log = structlog.get_logger("logsidecar")


class Committer:
    def __init__(self, state: StateFile | None, clock: Clock, core: Core) -> None:
        self.state = state
        self.clock = clock
        self.core = core
        self.published: Snapshot = Snapshot()
        self.anomalies = AnomalySnapshot()  # the detectors' committed state, published with it
        self.last_success = 0.0  # wall time of the last successful commit
        self.failures = 0
        self.failing = False  # the last commit failed
        self.size = 0
        self._document: StateDocument | None = None
        self._restored = False

    @property
    def ever_committed(self) -> bool:
        return self.last_success > 0

    def load(self) -> None:
        """Read the last committed document (I/O). Raises StateError."""
        if self.state is None:
            return
        loaded = self.state.load(self.clock.time())
        if loaded.moved_aside:
            log.warning("state_unusable", moved_to=loaded.moved_aside, reason=loaded.reason)
        if loaded.migrated_from is not None:
            log.info("state_migrated", path=self.state.path, from_version=loaded.migrated_from)
        self._document = loaded.document

    def restore(self) -> None:
        """Give each component its section (once, when the first rule set is in force)."""
        if self._restored:
            return
        self._restored = True
        doc, self._document = self._document, None
        if doc is None:
            return
        core = self.core
        where = "pending_events"
        try:  # each of these is pure, and all or nothing
            core.tailer.check_state(doc.tail)
            core.engine.restore_pending(doc.pending_events)
            where = "detectors"
            core.detectors.restore(doc.detectors)
            where = "metrics"
            core.store.from_state(doc.metrics, self.clock.time())
        except (StateError, KeyError, TypeError, ValueError, AttributeError) as exc:
            # A document of the right shape whose contents do not fit: start fresh, as from a
            # file that is not a state document, rather than half from it.
            core.reset_engine()
            self._set_aside(str(exc) if isinstance(exc, StateError) else f"{where}: {exc!r}")
            return
        core.tailer.restore(doc.tail)
        log.info(
            "state_restored",
            files=len(doc.tail.get("positions", [])),
            written_at=doc.written_at,
            rules_digest_changed=doc.rules_digest != core.ruleset.digest,
        )

    def _set_aside(self, reason: str) -> None:
        assert self.state is not None
        try:
            aside: str | None = self.state.move_aside(self.clock.time())
        except StateError:
            aside = None  # the next commit replaces it all the same
        log.warning("state_unusable", moved_to=aside, reason=reason)

    def commit(self) -> bool:
        """Write every section together; only then publish. False when the write failed."""
        core = self.core
        store, tailer = core.store, core.tailer
        store.expire(self.clock.time())
        stats = tailer.take_stats()
        for metric, counts in (
            ("logsidecar_rotations_total", stats.rotations),
            ("logsidecar_truncations_total", stats.truncations),
            ("logsidecar_rotated_copies_read_total", stats.recovered),
            ("logsidecar_file_open_errors_total", stats.open_errors),
            ("logsidecar_rotated_generations_read_total", stats.generations),
            ("logsidecar_rotated_generation_lines_total", stats.generation_lines),
        ):
            for source, n in counts.items():
                store.inc(metric, (source,), n)
        for path in stats.lost:
            log.warning("checkpointed_file_gone", path=path)
        if self.state is not None:
            # Every file the globs match goes into the commit, read or not: one that appears now
            # and is rotated away before the next commit is still known after a crash.
            tailer.discover()
            document = StateDocument(
                written_at=self.clock.time(),
                rules_digest=core.ruleset.digest,
                tail=tailer.to_state(),
                metrics=store.to_state(),
                pending_events=core.engine.pending_state(),
                detectors=core.detectors.to_state(),
            )
            try:
                self.size = self.state.save(document)
            except StateError as exc:
                self.failures += 1
                if not self.failing:
                    log.error(
                        "checkpoint_failed",
                        error=str(exc),
                        detail="metrics are not published and new files are not read until a"
                        " commit succeeds",
                    )
                self.failing = True
                return False
            if self.failing:
                log.info("checkpoint_recovered", failures=self.failures)
            self.failing = False
            tailer.committed()  # files whose identity is now durable may be read
        self.last_success = self.clock.time()
        lag = tailer.lag()
        store.replace("logsidecar_file_lag_bytes", {(p,): float(b) for p, b in lag.items()})
        store.set("logsidecar_open_files", (), float(len(lag)))
        self.published = store.snapshot()
        self.anomalies = core.detectors.snapshot()
        return True
