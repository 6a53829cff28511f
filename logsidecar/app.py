"""The composition root: settings, the processing loop, the HTTP server, signals, reload, shutdown.

One thread (the caller's) owns the tailer, the engine and the metric store. It wakes on file
events, signals and reload requests, or after `poll_interval`; reads what is new; evaluates the
rules a batch at a time; and every `commit_interval` publishes the store's state to the collector
that /metrics renders.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from logsidecar import __version__, pipeline
from logsidecar.checkpoint import Checkpoint
from logsidecar.clock import Clock, SystemClock, Waker
from logsidecar.errors import RuleError, StateError
from logsidecar.logline import LineBatch
from logsidecar.metrics.collector import SnapshotCollector
from logsidecar.metrics.store import MetricStore, Snapshot, rule_metric_defs
from logsidecar.rules.durations import Duration
from logsidecar.rules.engine import Engine
from logsidecar.rules.load import (
    RuleSet,
    load_rules,
    parse_rule_texts,
    read_rule_texts,
    rule_files,
)
from logsidecar.server import Endpoints, HttpServer
from logsidecar.tail.discovery import watch_root
from logsidecar.tail.stream import Position
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec
from logsidecar.tail.watch import CONFIG_EVENTS, LOG_EVENTS, DirectoryWatch

log = structlog.get_logger("logsidecar")
# Globs are re-evaluated when a watch event wakes the loop and at least this often: the
# safety net for volumes where inotify says nothing.
RESCAN_SECONDS = 10.0


class Settings(BaseSettings):
    """Everything `logsidecar run` can be told, from LOGSIDECAR_* variables or flags."""

    model_config = SettingsConfigDict(env_prefix="LOGSIDECAR_", extra="ignore", frozen=True)

    rules: str = "/etc/logsidecar"
    port: int = Field(default=9879, ge=0, le=65535)
    listen_address: str = "0.0.0.0"
    state_dir: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    max_line_bytes: int = Field(default=65536, ge=256)
    poll_interval: Duration = 2.0
    commit_interval: Duration = 1.0
    rules_check_interval: Duration = 10.0
    rotate_wait: Duration = 5.0
    partial_line_timeout: Duration = 5.0
    shutdown_linger: Duration = 0.0


def watch_specs(ruleset: RuleSet) -> list[WatchSpec]:
    return [
        WatchSpec(s.name, tuple(s.paths), tuple(s.exclude), s.start_at) for s in ruleset.sources
    ]


class App:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.waker = Waker()
        self._stop = threading.Event()
        self._reload_requested = threading.Event()
        self._reload_done = threading.Condition()
        self._reload_result: tuple[int, bool, str] = (0, True, "")
        self._reload_seq = 0
        self._rules_dirty = False
        self._failed_digest = ""

        self.ruleset = load_rules(settings.rules)  # RuleError here: refuse to start
        self.engine = Engine(self.ruleset)
        self.store = MetricStore(rule_metric_defs(self.ruleset))
        self.checkpoint = Checkpoint(settings.state_dir) if settings.state_dir else None
        self.checkpoint_success = 0.0
        self.checkpoint_failures = 0
        self.checkpoint_bytes = 0
        positions = self._load_state()
        self.tailer = Tailer(
            watch_specs(self.ruleset),
            self.clock,
            TailOptions(
                max_line_bytes=settings.max_line_bytes,
                rotate_wait=settings.rotate_wait,
                partial_timeout=settings.partial_line_timeout,
            ),
            restore=positions,
        )
        self.published: Snapshot = self.store.snapshot()
        self.reloads = 0
        self.reload_failures = 0
        self.last_reload_ok = True
        self.last_reload_success = self.clock.time()
        self.last_reload_error = ""
        self.heartbeat = self.clock.monotonic()
        self.first_pass_done = False

        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(SnapshotCollector(lambda: self.published, self._live_metrics))
        self.server = HttpServer(
            settings.listen_address,
            settings.port,
            self.registry,
            Endpoints(self.healthy, self.ready, self.request_reload, self.status),
        )
        self.file_watch = DirectoryWatch(self.waker.wake, LOG_EVENTS)
        self.rules_watch = DirectoryWatch(self._rules_changed, CONFIG_EVENTS)

    def _load_state(self) -> list[Position]:
        """Metric state and file positions from the last commit, if there is one."""
        if self.checkpoint is None:
            return []
        result = self.checkpoint.load(self.clock.time())
        if result.moved_aside:
            log.warning("state_unusable", moved_to=result.moved_aside, reason=result.reason)
        state = result.state
        if state is None:
            return []
        self.store.load_state(state.get("metrics", {}))
        self.engine.restore_pending(state.get("pending_events", {}))
        positions = [Position.from_json(p) for p in state.get("positions", [])]
        log.info(
            "state_restored",
            files=len(positions),
            written_at=state.get("written_at"),
            rules_digest_changed=state.get("rules_digest") != self.ruleset.digest,
        )
        return positions

    # -- endpoints (called from HTTP threads) -----------------------------------------------
    def healthy(self) -> bool:
        stall = max(30.0, 10 * self.settings.poll_interval)
        return self.clock.monotonic() - self.heartbeat < stall

    def ready(self) -> bool:
        return self.first_pass_done and not self._stop.is_set()

    def status(self) -> dict[str, Any]:
        snap = self.published
        lag = snap.series.get("logsidecar_file_lag_bytes", {})
        return {
            "version": __version__,
            "rules": self.settings.rules,
            "rule_files": list(self.ruleset.files),
            "rules_digest": self.ruleset.digest,
            "last_reload_successful": self.last_reload_ok,
            "last_reload_error": self.last_reload_error,
            "sources": [
                {"name": s.name, "format": s.format, "paths": list(s.paths)}
                for s in self.ruleset.sources
            ],
            "rules_loaded": [r.rule.name for r in self.ruleset.rules],
            "files": {labels[0]: value for labels, value in lag.items()},
            "persistence": self.settings.state_dir or "off",
        }

    def request_reload(self) -> tuple[bool, str]:
        """Ask the loop to reload now; wait for its answer."""
        with self._reload_done:
            seq = self._reload_seq + 1
            self._reload_requested.set()
            self.waker.wake()
            self._reload_done.wait_for(lambda: self._reload_result[0] >= seq, timeout=30)
            _, ok, message = self._reload_result
        return ok, message

    def reload_soon(self) -> None:
        """Reload at the loop's next turn (SIGHUP)."""
        self._reload_requested.set()
        self.waker.wake()

    def _rules_changed(self) -> None:
        self._rules_dirty = True
        self.waker.wake()

    def _live_metrics(self) -> Iterator[Metric]:
        """Metrics about the process itself, read at scrape time (not part of the checkpoint)."""
        yield GaugeMetricFamily(
            "logsidecar_config_last_reload_successful",
            "Whether the last rules (re)load succeeded.",
            value=1.0 if self.last_reload_ok else 0.0,
        )
        yield GaugeMetricFamily(
            "logsidecar_config_last_reload_success_timestamp_seconds",
            "When the rules were last loaded successfully.",
            value=self.last_reload_success,
        )
        yield CounterMetricFamily(
            "logsidecar_config_reloads_total",
            "Rule reloads attempted after start.",
            value=self.reloads,
        )
        yield CounterMetricFamily(
            "logsidecar_config_reload_failures_total",
            "Rule reloads that failed.",
            value=self.reload_failures,
        )
        if self.checkpoint is None:
            return
        yield GaugeMetricFamily(
            "logsidecar_checkpoint_last_success_timestamp_seconds",
            "When state (offsets with the metrics they produced) was last committed.",
            value=self.checkpoint_success,
        )
        yield CounterMetricFamily(
            "logsidecar_checkpoint_failures_total",
            "Commits that could not be written (metrics are not published until one is).",
            value=self.checkpoint_failures,
        )
        yield GaugeMetricFamily(
            "logsidecar_checkpoint_bytes",
            "Size of the last state file.",
            value=self.checkpoint_bytes,
        )

    # -- the loop ----------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self.waker.wake()

    def _watch_rules(self) -> None:
        files = rule_files(self.settings.rules)
        roots = {watch_root(str(f)) for f in files} | {(self.settings.rules, False)}
        self.rules_watch.update(r for r in roots if r[0])

    def run(self) -> int:
        if not self.settings.state_dir:
            log.warning("no_state_dir", detail="no LOGSIDECAR_STATE_DIR: counters restart at zero")
        self.server.start()
        log.info(
            "started",
            version=__version__,
            listen=f"{self.settings.listen_address}:{self.server.port}",
            rules=list(self.ruleset.files),
            sources=[s.name for s in self.ruleset.sources],
        )
        self.file_watch.update(self.tailer.watch_roots())
        self._watch_rules()
        last_commit = last_rules_check = last_rescan = self.clock.monotonic()
        rescan_every = max(self.settings.poll_interval, RESCAN_SECONDS)
        dirty = rescan = True
        try:
            while not self._stop.is_set():
                self.heartbeat = self.clock.monotonic()
                if rescan:
                    last_rescan = self.clock.monotonic()
                batches, more = self.tailer.poll(rescan)
                if batches:
                    self._process(batches)
                    dirty = True
                if self.engine.pending:  # multiline events that went quiet
                    dirty = (
                        pipeline.flush_quiet(self.engine, self.store, self.clock.time()) or dirty
                    )
                dirty = dirty or bool(self.tailer.stats)
                now = self.clock.monotonic()
                if dirty and now - last_commit >= self.settings.commit_interval:
                    self.commit()
                    last_commit, dirty = now, False
                self.first_pass_done = True
                if self._reload_requested.is_set():
                    self._reload_requested.clear()
                    self.reload(reason="request")
                elif (
                    self._rules_dirty
                    or now - last_rules_check >= self.settings.rules_check_interval
                ):
                    self._rules_dirty = False
                    last_rules_check = now
                    self.reload(reason="change", only_if_changed=True)
                if not more:
                    wait = self.settings.poll_interval
                    if dirty:
                        wait = min(
                            wait, max(0.0, self.settings.commit_interval - (now - last_commit))
                        )
                    if self.waker.wait(wait):
                        self.file_watch.update(self.tailer.watch_roots())
                        rescan = True
                    else:
                        rescan = self.clock.monotonic() - last_rescan >= rescan_every
                else:
                    rescan = True
        finally:
            self.shutdown()
        return 0

    def _process(self, batches: list[LineBatch]) -> None:
        pipeline.feed(self.engine, self.store, batches, self.clock.time())

    def commit(self) -> None:
        """Write positions and metric state together; only then publish them to /metrics."""
        self.store.expire(self.clock.time())
        stats = self.tailer.take_stats()
        for source, n in stats.rotations.items():
            self.store.inc("logsidecar_rotations_total", (source,), n)
        for source, n in stats.truncations.items():
            self.store.inc("logsidecar_truncations_total", (source,), n)
        for source, n in stats.recovered.items():
            self.store.inc("logsidecar_rotated_copies_read_total", (source,), n)
        for path in stats.lost:
            log.warning("checkpointed_file_gone", path=path)
        if self.checkpoint is not None:
            # Every file the globs match now goes into the commit, read or not: one that appeared
            # since the last poll and is rotated away before the next commit is then still
            # known (by inode and head) after a crash.
            self.tailer.discover()
            state = {
                "written_at": self.clock.time(),
                "rules_digest": self.ruleset.digest,
                "positions": [p.to_json() for p in self.tailer.positions()],
                "metrics": self.store.to_state(),
                "pending_events": self.engine.pending_state(),  # multiline events not yet whole
            }
            try:
                self.checkpoint_bytes = self.checkpoint.save(state)
            except StateError as exc:
                self.checkpoint_failures += 1
                log.error("checkpoint_failed", error=str(exc))
                return  # publish nothing a restart could not reproduce
            self.checkpoint_success = self.clock.time()
        lag = self.tailer.lag()
        self.store.replace("logsidecar_file_lag_bytes", {(p,): float(b) for p, b in lag.items()})
        self.store.set("logsidecar_open_files", (), float(len(lag)))
        self.published = self.store.snapshot()

    def reload(self, reason: str, only_if_changed: bool = False) -> None:
        try:
            texts, digest = read_rule_texts(self.settings.rules)
            if only_if_changed and digest in (self.ruleset.digest, self._failed_digest):
                return  # unchanged, or the same broken files we already reported
            self._failed_digest = digest
            ruleset = parse_rule_texts(texts, digest)
        except RuleError as exc:
            self.reloads += 1
            self.reload_failures += 1
            self.last_reload_ok = False
            self.last_reload_error = str(exc)
            log.error(
                "rules_invalid",
                reason=reason,
                kept=self.ruleset.digest[:12],
                errors=[str(p) for p in exc.problems],
            )
            self._answer_reload(False, str(exc))
            return
        self.reloads += 1
        self._failed_digest = ""
        self.ruleset = ruleset
        pending = self.engine.pending_state()
        self.engine = Engine(ruleset)
        self.engine.restore_pending(pending)  # half-read stack traces survive a reload
        self.store.define(rule_metric_defs(ruleset))
        self.tailer.set_specs(watch_specs(ruleset))
        self.file_watch.update(self.tailer.watch_roots())
        self._watch_rules()
        self.last_reload_ok = True
        self.last_reload_error = ""
        self.last_reload_success = self.clock.time()
        self.published = self.store.snapshot()
        log.info(
            "rules_loaded", reason=reason, digest=ruleset.digest[:12], files=list(ruleset.files)
        )
        self._answer_reload(True, f"rules loaded: {ruleset.digest[:12]}")

    def _answer_reload(self, ok: bool, message: str) -> None:
        with self._reload_done:
            self._reload_seq += 1
            self._reload_result = (self._reload_seq, ok, message)
            self._reload_done.notify_all()

    def shutdown(self) -> None:
        log.info("stopping")
        self._process(self.tailer.drain_all())
        pipeline.finish(self.engine, self.store, self.clock.time())
        self.commit()
        if self.settings.shutdown_linger:
            time.sleep(self.settings.shutdown_linger)
        self.file_watch.stop()
        self.rules_watch.stop()
        self.tailer.close()
        self.server.stop()
        log.info("stopped")


def install_signals(app: App) -> None:
    signal.signal(signal.SIGTERM, lambda *_: app.stop())
    signal.signal(signal.SIGINT, lambda *_: app.stop())
    signal.signal(signal.SIGHUP, lambda *_: app.reload_soon())
