"""The composition root: builds the service from `Settings`, starts it, runs it, stops it.

The parts live in `service/`: the core (rules, engine, store, tailer), the committer (state in
and out, the only publisher to /metrics), the reloader, the loop that ticks, and the status.
`App.__init__` only wires them (clock, waker and registry can be injected); `start()` does the
I/O — bind the port, load the rules, read the state — and `run()` loops until `stop()`.

Start-up: a port that cannot be bound or a state file that cannot be read raise `StartupError`
(the CLI prints one line and exits 2). Rules that do not load are reported, and the sidecar runs
with none — not ready, with the failure metrics and the errors on the status page — until the
files are fixed (a ConfigMap update is picked up without a restart); with `strict_startup`
it stops instead (exit 1).
"""

from __future__ import annotations

import signal
import time

import structlog
from prometheus_client.registry import CollectorRegistry

from logsidecar import __version__
from logsidecar.clock import Clock, SystemClock, Waker
from logsidecar.errors import LogsidecarError, StateError
from logsidecar.metrics.collector import SnapshotCollector
from logsidecar.rules.load import rule_files
from logsidecar.rules.ruleset import RuleSet
from logsidecar.server import Endpoints, HttpServer
from logsidecar.service.committer import Committer
from logsidecar.service.core import Core
from logsidecar.service.loop import Intervals, Loop
from logsidecar.service.reloader import Reloader, Requests
from logsidecar.service.status import Status
from logsidecar.settings import Settings
from logsidecar.state import StateFile
from logsidecar.tail.discovery import watch_root
from logsidecar.tail.tailer import TailOptions
from logsidecar.tail.watch import CONFIG_EVENTS, LOG_EVENTS, DirectoryWatch

log = structlog.get_logger("logsidecar")
RELOAD_WAIT_SECONDS = 30.0


class StartupError(LogsidecarError):
    """The sidecar cannot start: what to print, and the exit code (2; 1 for rules that did not
    load under strict start-up, as `check` would say)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class App:
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        waker: Waker | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.waker = waker or Waker()
        self.registry = registry or CollectorRegistry(auto_describe=False)
        options = TailOptions(
            max_line_bytes=settings.max_line_bytes,
            rotate_wait=settings.rotate_wait,
            partial_timeout=settings.partial_line_timeout,
            durable_first=settings.state_dir is not None,
        )
        self.core = Core(self.clock, options)
        state = StateFile(settings.state_dir) if settings.state_dir else None
        self.committer = Committer(state, self.clock, self.core)
        self.requests = Requests(self.waker.wake)
        self.reloader = Reloader(settings.rules, self.clock, self._apply)
        self.loop = Loop(
            self.core,
            self.committer,
            self.reloader,
            self.requests,
            self.clock,
            self.waker,
            Intervals(
                settings.poll_interval, settings.commit_interval, settings.rules_check_interval
            ),
            on_rules_applied=self._watch,
        )
        self.status = Status(
            self.loop,
            self.committer,
            self.reloader,
            settings.rules,
            stall_seconds=max(30.0, 10 * settings.poll_interval),
        )
        self.registry.register(
            SnapshotCollector(lambda: self.committer.published, self.status.metrics)
        )
        self.server = HttpServer(
            settings.listen_address,
            settings.port,
            self.registry,
            Endpoints(self.status.healthy, self.status.ready, self.http_reload, self.status.status),
        )
        self.file_watch = DirectoryWatch(self.waker.wake, LOG_EVENTS)
        self.rules_watch = DirectoryWatch(self.loop.rules_changed, CONFIG_EVENTS)

    # -- wiring ------------------------------------------------------------------------------
    def _apply(self, ruleset: RuleSet) -> None:
        """The reloader's hook: put rules in force; the first time, restore the state too."""
        self.core.apply(ruleset)
        self.committer.restore()

    def _watch(self) -> None:
        self.file_watch.update(self.core.tailer.watch_roots())
        files = rule_files(self.settings.rules)
        roots = {watch_root(str(f)) for f in files} | {(self.settings.rules, False)}
        self.rules_watch.update(r for r in roots if r[0])

    def http_reload(self) -> tuple[bool, str]:
        """POST /-/reload: ask the loop, wait for the answer to this request."""
        log.info("reload_requested", via="http")
        outcome = self.requests.ask_and_wait("http", RELOAD_WAIT_SECONDS)
        return outcome.ok, outcome.message

    def reload_soon(self) -> None:
        """SIGHUP: reload at the loop's next turn."""
        log.info("reload_requested", via="sighup")
        self.requests.ask("sighup")

    # -- life --------------------------------------------------------------------------------
    def start(self) -> None:
        settings = self.settings
        if not settings.state_dir:
            log.warning("no_state_dir", detail="no LOGSIDECAR_STATE_DIR: counters restart at zero")
        try:
            self.committer.load()
        except StateError as exc:
            raise StartupError(f"cannot use the state in {settings.state_dir}: {exc}") from exc
        outcome = self.reloader.load("startup")
        if not outcome.ok:
            if settings.strict_startup:
                raise StartupError(outcome.message, exit_code=1)
            log.warning("started_without_rules", detail="not ready until the rules load")
        try:
            self.server.start()
        except OSError as exc:
            where = f"{settings.listen_address}:{settings.port}"
            raise StartupError(f"cannot listen on {where}: {exc.strerror or exc}") from exc
        if self.core.loaded:
            self.committer.commit()  # the files found so far are durable before a byte is read
        self._watch()
        log.info(
            "started",
            version=__version__,
            listen=f"{settings.listen_address}:{self.server.port}",
            rules=list(self.reloader.running.files) if self.reloader.running else [],
            sources=[s.name for s in self.core.ruleset.sources],
        )

    def run(self) -> int:
        try:
            self.loop.run()
        finally:
            self.shutdown()
        return 0

    def stop(self) -> None:
        self.loop.stop()

    def shutdown(self) -> None:
        """After the loop: read every file to its end, commit, then close."""
        log.info("stopping")
        if self.core.loaded:
            self.core.finish()
            self.committer.commit()
        if self.settings.shutdown_linger:
            time.sleep(self.settings.shutdown_linger)
        self.close()
        log.info("stopped")

    def close(self) -> None:
        """Release files, watches and the port; nothing read, nothing committed (a start-up
        that failed leaves the state as it found it)."""
        self.file_watch.stop()
        self.rules_watch.stop()
        self.core.tailer.close()
        self.server.stop()


def install_signals(app: App) -> None:
    signal.signal(signal.SIGTERM, lambda *_: app.stop())
    signal.signal(signal.SIGINT, lambda *_: app.stop())
    signal.signal(signal.SIGHUP, lambda *_: app.reload_soon())
