"""Running rule tests in virtual time: the same engine and metric store as `run`, fed batches.

Each test gets a fresh engine and store. Its input arrives batch by batch (one per source and
instant) at `start + at`; a multiline event quiet for its source's `timeout` is completed at
exactly the instant it times out, as a running sidecar's loop would complete it (give or take a
tick). An assertion at `at` sees every line that arrived at or before `at`: metric assertions read
the store (series past `expire_after` dropped first, as at a commit). Values are compared with a
relative tolerance of 1e-9 (sums of fractions are not exact in binary).

Detectors (`detect.bank.Detectors`, evaluated every `evaluation_interval` like a running sidecar)
are fed the taps of every batch, with the event's own time when its source has a `timestamp`, else
its arrival; an anomaly assertion evaluates them at `at` and compares the firing alerts' labels
(pending ones are not firing), and their annotations where the test gives them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from logsidecar.detect.bank import Detectors
from logsidecar.logline import LineBatch
from logsidecar.metrics.defs import rule_metric_defs
from logsidecar.metrics.store import MetricStore
from logsidecar.rules.engine import Engine
from logsidecar.rules.observations import Observations
from logsidecar.ruletest.diff import AnomalyFailure, Failure, MetricFailure, SeriesDiff
from logsidecar.ruletest.plan import (
    AnomalyAssertion,
    Batch,
    CasePlan,
    FiringAlert,
    MetricAssertion,
    Suite,
)

NOTES = 10  # measured values shown with a failed anomaly assertion


@dataclass(frozen=True)
class CaseResult:
    name: str
    failures: tuple[Failure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def same(expected: float, actual: float) -> bool:
    if math.isnan(expected):
        return math.isnan(actual)
    return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12)


class _Run:
    """One test's engine and store, advanced through its timeline."""

    def __init__(self, suite: Suite, case: CasePlan) -> None:
        ruleset = suite.ruleset
        self.case = case
        self.start = case.start
        self.engine = Engine(ruleset, event_time=True)
        self.store = MetricStore(rule_metric_defs(ruleset))
        self.detectors: Detectors | None = None
        if case.anomalies:  # no need to run detectors nothing asks about
            self.detectors = Detectors(ruleset.detectors, case.start, suite.interval)
        self.timeouts = {
            s.name: s.multiline.timeout for s in ruleset.sources if s.multiline is not None
        }
        self.paths = {s.name: f"{suite.file}#{s.name}" for s in ruleset.sources}
        self.failures: list[Failure] = []

    def run(self) -> CaseResult:
        steps: list[tuple[float, int, int, Batch | MetricAssertion | AnomalyAssertion]] = [
            (b.at, 0, i, b) for i, b in enumerate(self.case.batches)
        ]
        steps += [(a.at, 1, i, a) for i, a in enumerate(self.case.metrics)]
        steps += [(a.at, 1, i, a) for i, a in enumerate(self.case.anomalies)]
        for at, _, _, step in sorted(steps, key=lambda s: s[:3]):
            now = self.start + at
            self.flush_until(now)
            if isinstance(step, Batch):
                self.feed(step, now)
            elif isinstance(step, MetricAssertion):
                self.check_metrics(step, now)
            else:
                self.check_anomalies(step, now)
        return CaseResult(self.case.name, tuple(self.failures))

    def flush_until(self, now: float) -> None:
        """Complete, in time order, the multiline events that time out at or before `now`."""
        while self.timeouts and self.engine.pending:
            due = [
                _deadline(float(entry["last"]), self.timeouts[source])
                for source, entries in self.engine.pending_state().items()
                for entry in entries
            ]
            first = min(due)
            if first > now:
                return
            self.apply(self.engine.flush(first))

    def feed(self, batch: Batch, now: float) -> None:
        lines = list(batch.lines)
        nbytes = sum(len(line.encode()) + 1 for line in lines)
        self.store.inc("logsidecar_bytes_total", (batch.source,), nbytes)
        self.apply(
            self.engine.process(
                LineBatch(batch.source, self.paths[batch.source], lines, nbytes), now
            )
        )

    def apply(self, obs: Observations) -> None:
        self.store.apply(obs)
        if self.detectors is not None and obs.taps:
            self.detectors.feed(obs.taps)

    def check_metrics(self, check: MetricAssertion, now: float) -> None:
        self.store.expire(now)
        snapshot = self.store.snapshot()
        diffs = [
            SeriesDiff(series.text, expected, actual)
            for series, expected in check.expect
            if (actual := series.read(snapshot)) is None or not same(expected, actual)
        ]
        diffs += [
            SeriesDiff(series.text, None, actual)
            for series in check.absent
            if (actual := series.read(snapshot)) is not None
        ]
        if diffs:
            self.failures.append(MetricFailure(check.where, self.case.name, check.at, tuple(diffs)))

    def check_anomalies(self, check: AnomalyAssertion, now: float) -> None:
        assert self.detectors is not None
        self.detectors.evaluate(now)
        snapshot = self.detectors.snapshot()
        annotated = {a.labels for a in check.firing if a.annotations is not None}
        mine = [a for a in snapshot.active if a.detector == check.detector]
        actual: list[FiringAlert] = []
        for alert in mine:
            if alert.state == "firing":
                labels = tuple(sorted(alert.labels))
                shown = tuple(sorted(alert.annotations)) if labels in annotated else None
                actual.append(FiringAlert(labels, shown))
        if Counter(actual) == Counter(check.firing):
            return
        self.failures.append(
            AnomalyFailure(
                check.where,
                self.case.name,
                check.at,
                check.detector,
                check.firing,
                tuple(sorted(actual, key=lambda a: a.labels)),
                tuple(
                    (tuple(sorted(a.labels)), a.since - self.start)
                    for a in mine
                    if a.state == "pending"
                ),
                tuple(
                    (group, value)
                    for name, group, value in snapshot.values
                    if name == check.detector
                )[:NOTES],
            )
        )


def _deadline(last: float, timeout: float) -> float:
    """The first instant at which `now - last >= timeout` holds in floating point."""
    due = last + timeout
    while due - last < timeout:
        due = math.nextafter(due, math.inf)
    return due


def run_case(suite: Suite, case: CasePlan) -> CaseResult:
    return _Run(suite, case).run()


def run_suite(suite: Suite) -> list[CaseResult]:
    return [run_case(suite, case) for case in suite.cases]
