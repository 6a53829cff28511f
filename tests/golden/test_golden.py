"""Every golden case through `replay` (the CLI) and through the `run` path's pieces fed in small,
uneven batches: both must print exactly expected.prom."""

from __future__ import annotations

import random

import pytest

from logsidecar import pipeline
from logsidecar.cli import main
from logsidecar.logline import LineBatch
from logsidecar.metrics.defs import rule_metric_defs
from logsidecar.metrics.store import MetricStore
from logsidecar.replay import Replay, ReplayDetectors, pick_source, render
from logsidecar.rules.engine import Engine
from logsidecar.rules.load import load_rules
from logsidecar.rules.taps import Tap, TapBatch
from logsidecar.tail.framing import Framer
from tests.golden.conftest import UPDATE, Case, cases

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_replay_prints_the_expected_metrics(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["replay", "--rules", str(case.rules), *case.args, *map(str, case.inputs)]
    assert 0 == main(argv)
    out = capsys.readouterr().out
    if UPDATE:
        case.expected_path.write_text(out)
    assert case.expected_path.read_text() == out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_run_path_in_uneven_batches_gives_the_same_metrics(case: Case, seed: int) -> None:
    rng = random.Random(seed)
    ruleset = load_rules(case.rules)
    forced = case.args[case.args.index("--source") + 1] if "--source" in case.args else None
    engine = Engine(ruleset, idle_by_event_time=True, event_time=True)
    store = MetricStore(rule_metric_defs(ruleset))
    detectors = ReplayDetectors(ruleset)
    files = {}
    now = 1_800_000_000.0
    stamps: list[float] = []
    for path in case.inputs:
        source = pick_source(str(path), ruleset.sources, forced).name
        files[str(path)] = source
        data = path.read_bytes()
        framer = Framer(65536)
        pos = 0
        while pos < len(data):
            size = rng.choice([1, 7, 64, 300, 4096])
            chunk = data[pos : pos + size]
            pos += len(chunk)
            framed = framer.feed(chunk)
            batch = LineBatch(source, str(path), framed.lines, len(chunk), framed.truncated)
            taps: dict[Tap, TapBatch] = {}
            stamps.append(pipeline.feed(engine, store, [batch], now, taps=taps) or 0.0)
            if rng.random() < 0.1:
                pipeline.flush_quiet(engine, store, now, taps=taps)  # quiet timeouts never pass
            detectors.feed(taps)
        tail = framer.flush()
        tail_batch = LineBatch(source, str(path), tail.lines)
        taps = {}
        stamps.append(pipeline.feed(engine, store, [tail_batch], now, taps=taps) or 0.0)
        detectors.feed(taps)
    taps = {}
    pipeline.finish(engine, store, now, taps=taps)
    detectors.feed(taps)
    detectors.finish(max(stamps, default=0.0) or now)
    if max(stamps, default=0.0):
        store.expire(max(stamps))
    result = Replay(store.snapshot(), files, detectors.transitions, detectors.snapshot())
    assert case.expected_path.read_text() == render(result)
