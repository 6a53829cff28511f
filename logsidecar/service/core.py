"""What the processing thread owns: the rule set in force, its engine, the store, the detectors,
the tailer.

`Core` is plain wiring: `apply()` puts a new rule set in force (a first load or a reload) and
keeps what survives a reload — series of metrics whose identity is unchanged, half-read multiline
events, the state of detectors whose definition is unchanged, and the streams of sources whose
paths did not change. Detectors are fed the taps of each tick's batches and evaluated on a timer
too (an absence fires with no input at all); each transition is one log event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from logsidecar import pipeline
from logsidecar.clock import Clock
from logsidecar.detect.alerts import Transition
from logsidecar.detect.bank import Detectors
from logsidecar.logline import LineBatch
from logsidecar.metrics.defs import rule_metric_defs
from logsidecar.metrics.store import MetricStore
from logsidecar.rules.engine import Engine
from logsidecar.rules.ruleset import RuleSet, rule_inputs
from logsidecar.rules.taps import Tap, TapBatch
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec

log = structlog.get_logger("logsidecar")


def watch_specs(ruleset: RuleSet) -> list[WatchSpec]:
    return [
        WatchSpec(s.name, tuple(s.paths), tuple(s.exclude), s.start_at) for s in ruleset.sources
    ]


def make_engine(ruleset: RuleSet) -> Engine:
    """Detectors see a line's own time when its source has a `timestamp` (never later than
    now): a backlog read after a restart falls into the windows of when it was written, instead
    of looking like a burst."""
    return Engine(ruleset, event_time=True, not_after_now=True)


def log_transitions(transitions: list[Transition]) -> None:
    """One structured event per detector state change (firing ones at warning level)."""
    for t in transitions:
        emit = log.warning if t.state == "firing" else log.info
        emit(
            t.event,
            detector=t.detector,
            type=t.type,
            labels=dict(t.labels),
            value=t.value,
            condition=t.condition,
            previous=t.previous,
            at=t.time,
            annotations=dict(t.annotations),
            lines=list(t.lines),
        )


@dataclass
class Core:
    clock: Clock
    tail_options: TailOptions
    ruleset: RuleSet = field(default_factory=RuleSet.empty)
    loaded: bool = False  # False until a rule set loaded (the sidecar can start without one)
    store: MetricStore = field(default_factory=MetricStore)
    engine: Engine = field(init=False)
    detectors: Detectors = field(init=False)
    tailer: Tailer = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.ruleset)
        self.detectors = Detectors((), self.clock.time())
        self.tailer = Tailer([], self.clock, self.tail_options)

    def apply(self, ruleset: RuleSet) -> None:
        """Put `ruleset` in force (no I/O: the tailer finds new files at its next poll)."""
        pending = self.engine.pending_state()
        self.ruleset = ruleset
        self.engine = make_engine(ruleset)
        self.engine.restore_pending(pending)  # half-read stack traces survive a reload
        detectors = Detectors(ruleset.detectors, self.clock.time(), inputs=rule_inputs(ruleset))
        detectors.keep(self.detectors)  # unchanged detectors keep windows and alerts
        self.detectors = detectors
        self.store.define(rule_metric_defs(ruleset))
        self.tailer.set_specs(watch_specs(ruleset))
        self.loaded = True

    def reset_engine(self) -> None:
        """A fresh engine and fresh detectors for the rules in force (no pending events)."""
        self.engine = make_engine(self.ruleset)
        self.detectors = Detectors(
            self.ruleset.detectors, self.clock.time(), inputs=rule_inputs(self.ruleset)
        )

    @property
    def has_detectors(self) -> bool:
        return bool(self.ruleset.detectors)

    def _detect(self, taps: dict[Tap, TapBatch]) -> bool:
        """Feed the detectors; True when an alert changed state."""
        if not taps:
            return False
        transitions = self.detectors.feed(taps)
        log_transitions(transitions)
        return bool(transitions)

    def process(self, batches: list[LineBatch]) -> None:
        taps: dict[Tap, TapBatch] = {}
        pipeline.feed(self.engine, self.store, batches, self.clock.time(), taps=taps)
        self._detect(taps)

    def evaluate(self) -> bool:
        """Evaluate the detectors now (the timer); True when an alert changed state."""
        transitions = self.detectors.evaluate(self.clock.time())
        log_transitions(transitions)
        return bool(transitions)

    def flush_quiet(self) -> bool:
        """Complete the multiline events that went quiet; True when there were some."""
        if not self.engine.pending:
            return False
        taps: dict[Tap, TapBatch] = {}
        flushed = pipeline.flush_quiet(self.engine, self.store, self.clock.time(), taps=taps)
        self._detect(taps)
        return flushed

    def finish(self) -> None:
        """At shutdown: read every file to its end and complete every pending event."""
        self.process(self.tailer.drain_all())
        taps: dict[Tap, TapBatch] = {}
        pipeline.finish(self.engine, self.store, self.clock.time(), taps=taps)
        self._detect(taps)
