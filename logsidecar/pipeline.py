"""Lines into the metric store: the one path shared by `run`, `replay` and the golden tests.

`feed` evaluates batches and folds their observations into the store; `flush_quiet` completes
multiline events that went quiet; `finish` completes every pending one (end of a replay,
shutdown). Series past their `expire_after` are dropped by `MetricStore.expire`, at commit.
Time is passed in.

Each takes an optional `taps` dict: the detectors' taps of every batch of the call are merged
into it (counts and values add, the last `SAMPLES` samples stay), for the service or a replay to
feed its detectors once per call.
"""

from __future__ import annotations

from collections.abc import Iterable

from logsidecar.logline import LineBatch
from logsidecar.metrics.store import MetricStore
from logsidecar.rules.engine import Engine
from logsidecar.rules.observations import Observations
from logsidecar.rules.taps import Tap, TapBatch, merge_taps


def _apply(store: MetricStore, obs: Observations, taps: dict[Tap, TapBatch] | None) -> None:
    store.apply(obs)
    if taps is not None and obs.taps:
        merge_taps(taps, obs.taps)


def feed(
    engine: Engine,
    store: MetricStore,
    batches: Iterable[LineBatch],
    now: float,
    taps: dict[Tap, TapBatch] | None = None,
) -> float | None:
    """Evaluate `batches` into `store` (and their taps into `taps`). Returns the latest event
    time read from a timestamp field, if any (replay's clock)."""
    latest: float | None = None
    for batch in batches:
        if batch.nbytes:
            store.inc("logsidecar_bytes_total", (batch.source,), batch.nbytes)
        if batch.truncated:
            store.inc("logsidecar_lines_truncated_total", (batch.source,), batch.truncated)
        if batch.lines:
            obs = engine.process(batch, now)
            _apply(store, obs, taps)
            if obs.latest is not None and (latest is None or obs.latest > latest):
                latest = obs.latest
    return latest


def flush_quiet(
    engine: Engine, store: MetricStore, now: float, taps: dict[Tap, TapBatch] | None = None
) -> bool:
    """Complete the multiline events quiet for their timeout; True when there were some."""
    obs = engine.flush(now)
    if obs:
        _apply(store, obs, taps)
    return bool(obs)


def finish(
    engine: Engine, store: MetricStore, now: float, taps: dict[Tap, TapBatch] | None = None
) -> None:
    """Complete every pending multiline event (end of a replay, shutdown)."""
    if engine.pending:
        _apply(store, engine.flush(now, force=True), taps)
