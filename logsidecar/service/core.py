"""What the processing thread owns: the rule set in force, its engine, the store, the tailer.

`Core` is plain wiring: `apply()` puts a new rule set in force (a first load or a reload) and
keeps what survives a reload — series of metrics whose identity is unchanged, half-read multiline
events, and the streams of sources whose paths did not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logsidecar import pipeline
from logsidecar.clock import Clock
from logsidecar.logline import LineBatch
from logsidecar.metrics.defs import rule_metric_defs
from logsidecar.metrics.store import MetricStore
from logsidecar.rules.engine import Engine
from logsidecar.rules.ruleset import RuleSet
from logsidecar.tail.tailer import Tailer, TailOptions, WatchSpec


def watch_specs(ruleset: RuleSet) -> list[WatchSpec]:
    return [
        WatchSpec(s.name, tuple(s.paths), tuple(s.exclude), s.start_at) for s in ruleset.sources
    ]


@dataclass
class Core:
    clock: Clock
    tail_options: TailOptions
    ruleset: RuleSet = field(default_factory=RuleSet.empty)
    loaded: bool = False  # False until a rule set loaded (the sidecar can start without one)
    store: MetricStore = field(default_factory=MetricStore)
    engine: Engine = field(init=False)
    tailer: Tailer = field(init=False)

    def __post_init__(self) -> None:
        self.engine = Engine(self.ruleset)
        self.tailer = Tailer([], self.clock, self.tail_options)

    def apply(self, ruleset: RuleSet) -> None:
        """Put `ruleset` in force (no I/O: the tailer finds new files at its next poll)."""
        pending = self.engine.pending_state()
        self.ruleset = ruleset
        self.engine = Engine(ruleset)
        self.engine.restore_pending(pending)  # half-read stack traces survive a reload
        self.store.define(rule_metric_defs(ruleset))
        self.tailer.set_specs(watch_specs(ruleset))
        self.loaded = True

    def reset_engine(self) -> None:
        """A fresh engine for the rules in force: no pending multiline events."""
        self.engine = Engine(self.ruleset)

    def process(self, batches: list[LineBatch]) -> None:
        pipeline.feed(self.engine, self.store, batches, self.clock.time())

    def flush_quiet(self) -> bool:
        """Complete the multiline events that went quiet; True when there were some."""
        if not self.engine.pending:
            return False
        return pipeline.flush_quiet(self.engine, self.store, self.clock.time())

    def finish(self) -> None:
        """At shutdown: read every file to its end and complete every pending event."""
        self.process(self.tailer.drain_all())
        pipeline.finish(self.engine, self.store, self.clock.time())
