"""Tap batches as the engine would hand them to the bank, built by hand, and the detectors the
bank tests run (the RULES.md examples)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from logsidecar.detect.alerts import Transition
from logsidecar.detect.bank import Detectors
from logsidecar.rules.detectors import Absence, Comparison, Ratio, Threshold
from logsidecar.rules.taps import Tap, TapBatch

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
HTTP_5XX = Tap("http_5xx", ("upstream",))
HTTP_ALL = Tap("http_all", ("upstream",))

BURST = Threshold(
    name="Http5xxBurst",
    type="threshold",
    rule="http_5xx",
    window=300.0,
    group_by=["upstream"],
    condition=Comparison(gte=50),
    for_=60.0,
    keep_firing_for=300.0,
    labels={"severity": "page"},
    annotations={"summary": "{{ value }} 5xx via {{ labels.upstream }} in 5m"},
)
SHARE = Ratio(
    name="ErrorRatio",
    type="ratio",
    numerator="http_5xx",
    denominator="http_all",
    window=300.0,
    group_by=["upstream"],
    min_denominator=10,
    condition=Comparison(gt=0.05),
)
QUIET = Absence(name="HeartbeatMissing", type="absence", rule="heartbeat", window=180.0)


def batch(
    tap: Tap,
    time: float,
    group: tuple[str, ...],
    lines: Sequence[str] = ("x",),
    values: dict[str, int] | None = None,
) -> dict[Tap, TapBatch]:
    """One tap's batch: len(lines) matches of `group` at `time`, the last 3 lines as samples."""
    out = TapBatch(counts={(time, group): len(lines)})
    if values is not None:
        out.values[(time, group)] = values
    out.samples = [(time, group, line) for line in lines[-3:]]
    return {tap: out}


def merged(*batches: dict[Tap, TapBatch]) -> dict[Tap, TapBatch]:
    """Several taps' batches as one (each tap once)."""
    out: dict[Tap, TapBatch] = {}
    for b in batches:
        for tap, tb in b.items():
            have = out.setdefault(tap, TapBatch())
            have.counts.update(tb.counts)
            have.values.update(tb.values)
            have.samples += tb.samples
    return out


def burst_lines() -> list[tuple[float, dict[Tap, TapBatch]]]:
    """The RULES.md rule test: one 503 line at 10s, then 60 500 lines every second from 1m."""
    out = [(START + 10, batch(HTTP_5XX, START + 10, ("billing",), ["503 upstream=billing"]))]
    for i in range(60):
        t = START + 60 + i
        out.append((t, batch(HTTP_5XX, t, ("billing",), [f"500 #{i} upstream=billing"])))
    return out


def steps(changes: Iterable[Transition]) -> list[tuple[float, str, str, str]]:
    """(seconds after START, detector, from, to) of each transition."""
    return [(t.time - START, t.detector, t.previous, t.state) for t in changes]


def feed_all(
    bank: Detectors, feeds: Iterable[tuple[float, dict[Tap, TapBatch]]]
) -> list[Transition]:
    out: list[Transition] = []
    for _, taps in feeds:
        out += bank.feed(taps)
    return out
