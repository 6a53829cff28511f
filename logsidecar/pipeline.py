"""Lines into the metric store: the one path shared by `run`, `replay` and the golden tests.

`feed` evaluates batches and folds their observations into the store; `flush_quiet` completes
multiline events that went quiet; `finish` completes every pending one (end of a replay,
shutdown). Series past their `expire_after` are dropped by `MetricStore.expire`, at commit.
Time is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable

from logsidecar.logline import LineBatch
from logsidecar.metrics.store import MetricStore
from logsidecar.rules.engine import Engine


def feed(
    engine: Engine, store: MetricStore, batches: Iterable[LineBatch], now: float
) -> float | None:
    """Evaluate `batches` into `store`. Returns the latest event time read from a timestamp
    field, if any (replay's clock)."""
    latest: float | None = None
    for batch in batches:
        if batch.nbytes:
            store.inc("logsidecar_bytes_total", (batch.source,), batch.nbytes)
        if batch.truncated:
            store.inc("logsidecar_lines_truncated_total", (batch.source,), batch.truncated)
        if batch.lines:
            obs = engine.process(batch, now)
            store.apply(obs)
            if obs.latest is not None and (latest is None or obs.latest > latest):
                latest = obs.latest
    return latest


def flush_quiet(engine: Engine, store: MetricStore, now: float) -> bool:
    """Complete the multiline events quiet for their timeout; True when there were some."""
    obs = engine.flush(now)
    if obs:
        store.apply(obs)
    return bool(obs)


def finish(engine: Engine, store: MetricStore, now: float) -> None:
    if engine.pending:
        store.apply(engine.flush(now, force=True))
