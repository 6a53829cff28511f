"""`pipeline` collects the detectors' taps of all batches of one call (and of flushes)."""

from logsidecar import pipeline
from logsidecar.logline import LineBatch
from logsidecar.metrics.defs import rule_metric_defs
from logsidecar.metrics.store import MetricStore
from logsidecar.rules.engine import Engine
from logsidecar.rules.load import parse_rule_texts
from logsidecar.rules.taps import Tap, TapBatch

RULES = r"""
version: 1
sources:
  - name: app
    paths: ["/x/*.log"]
    format: json
    timestamp: {field: ts, format: unix}
    multiline: {start: '^\{', max_lines: 5, timeout: 2s}
rules:
  - name: errors
    match: {level: {eq: error}}
    metrics:
      - counter: errors_total
detectors:
  - {name: ByUser, type: threshold, rule: errors, window: 1m, group_by: [user],
     condition: {gte: 5}}
"""
TAP = Tap("errors", ("user",))


def line(user: str, ts: int) -> str:
    return f'{{"ts": {ts}, "level": "error", "user": "{user}"}}'


def setup() -> tuple[Engine, MetricStore]:
    ruleset = parse_rule_texts([("rules.yaml", RULES)], "d")
    return Engine(ruleset, event_time=True), MetricStore(rule_metric_defs(ruleset))


def test_feed_merges_the_taps_of_all_its_batches() -> None:
    engine, store = setup()
    taps: dict[Tap, TapBatch] = {}
    batches = [
        LineBatch("app", "/x/a.log", [line("ann", 10), line("bob", 10)]),
        LineBatch("app", "/x/b.log", [line("ann", 10), line("ann", 11)]),
    ]
    # each file's last event waits for its next start line: a.log's bob, b.log's second ann
    assert 10.0 == pipeline.feed(engine, store, batches, 100.0, taps=taps)
    assert {TAP: TapBatch({(10.0, ("ann",)): 2}, {}, [(10.0, ("ann",), line("ann", 10))] * 2)} == (
        taps
    )
    more: dict[Tap, TapBatch] = {}
    assert pipeline.flush_quiet(engine, store, 101.0, taps=more) is False  # not quiet yet
    assert {} == more
    assert pipeline.flush_quiet(engine, store, 102.5, taps=more) is True
    assert {(10.0, ("bob",)): 1, (11.0, ("ann",)): 1} == more[TAP].counts
    assert 4.0 == store.snapshot().series["errors_total"][()]


def test_finish_hands_over_the_taps_of_the_last_events() -> None:
    engine, store = setup()
    pipeline.feed(engine, store, [LineBatch("app", "/x/a.log", [line("cy", 7)])], 1.0)
    taps: dict[Tap, TapBatch] = {}
    pipeline.finish(engine, store, 1.0, taps=taps)
    assert {TAP: TapBatch({(7.0, ("cy",)): 1}, {}, [(7.0, ("cy",), line("cy", 7))])} == taps
