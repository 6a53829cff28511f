"""How a replay is printed: the metrics as /metrics shows them (Prometheus text, OpenMetrics) or
JSON, and every detector transition (comment lines after the text, so it stays valid exposition;
a list in JSON)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.registry import CollectorRegistry

from logsidecar.detect.alerts import Transition
from logsidecar.metrics.anomalies import anomaly_families
from logsidecar.metrics.collector import SnapshotCollector
from logsidecar.metrics.store import Snapshot

if TYPE_CHECKING:
    from logsidecar.replay import Replay

Format = Literal["prometheus", "openmetrics", "json"]
# self-metrics that mean something for a replay (not lag, rotations or open files)
REPLAY_SELF_METRICS = frozenset(
    {
        "logsidecar_lines_total",
        "logsidecar_bytes_total",
        "logsidecar_parse_errors_total",
        "logsidecar_timestamp_errors_total",
        "logsidecar_multiline_lines_dropped_total",
        "logsidecar_lines_truncated_total",
        "logsidecar_rule_matches_total",
        "logsidecar_value_errors_total",
        "logsidecar_series_overflow_total",
    }
)


def _shown(snapshot: Snapshot) -> set[str]:
    return {
        name
        for name in snapshot.defs
        if not name.startswith("logsidecar_")
        or (name in REPLAY_SELF_METRICS and snapshot.series.get(name))
    }


def render(result: Replay, fmt: Format = "prometheus") -> str:
    """The metrics as /metrics would show them (without build info; series sorted by their
    labels, so that the output does not depend on how the input was cut into batches), or
    JSON."""
    shown = _shown(result.snapshot)
    if fmt == "json":
        return json.dumps(as_json(result, shown), indent=2, sort_keys=True) + "\n"
    registry = CollectorRegistry(auto_describe=False)
    extra = (lambda: anomaly_families(result.anomalies)) if result.anomalies.totals else list
    registry.register(
        SnapshotCollector(
            lambda: result.snapshot,
            extra,
            build_info=False,
            include=shown.__contains__,
            ordered=True,
        )
    )
    if fmt == "openmetrics":
        text: bytes = generate_openmetrics(registry)  # type: ignore[no-untyped-call]
        return text.decode()
    return generate_latest(registry).decode() + transition_comments(result.transitions)


def _when(t: float) -> str:
    stamp = datetime.fromtimestamp(t, tz=UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def transition_text(t: Transition) -> str:
    """One transition on one line: time, detector, what it became, labels, value, condition."""
    labels = ",".join(f'{k}="{v}"' for k, v in t.labels)
    value = "none" if t.value is None else f"{t.value:g}"
    return f"{_when(t.time)} {t.detector}{{{labels}}} {t.state} value={value}: {t.condition}"


def transition_comments(transitions: list[Transition]) -> str:
    """Transitions as comment lines after the metrics (the text stays valid exposition)."""
    if not transitions:
        return ""
    lines = [f"# detector transitions: {len(transitions)}"]
    lines.extend(f"# {transition_text(t)}" for t in transitions)
    return "\n".join(lines) + "\n"


def as_json(result: Replay, shown: set[str]) -> dict[str, Any]:
    snap = result.snapshot
    metrics: list[dict[str, Any]] = []
    for name, metric in snap.defs.items():
        if name not in shown:
            continue
        samples = []
        for labels, value in sorted(snap.series.get(name, {}).items()):
            entry: dict[str, Any] = {"labels": dict(zip(metric.labels, labels, strict=True))}
            if isinstance(value, float | int):
                entry["value"] = value
            else:
                entry["buckets"] = dict(
                    zip([*map(str, metric.buckets), "+Inf"], _cumulative(value.counts), strict=True)
                )
                entry["sum"], entry["count"] = value.total, value.count
            samples.append(entry)
        metrics.append({"name": name, "type": metric.kind, "help": metric.help, "samples": samples})

    def by_label(metric: str) -> dict[str, float]:
        return {labels[0]: value for labels, value in snap.series.get(metric, {}).items()}  # type: ignore[misc]

    return {
        "files": result.files,
        "rules": by_label("logsidecar_rule_matches_total"),
        "sources": {
            "lines": by_label("logsidecar_lines_total"),
            "parse_errors": by_label("logsidecar_parse_errors_total"),
        },
        "metrics": metrics,
        "transitions": [t.as_dict() for t in result.transitions],
        "anomalies": [
            {
                "detector": a.detector,
                "state": a.state,
                "labels": dict(a.labels),
                "value": a.value,
                "since": a.since,
                "condition": a.condition,
            }
            for a in result.anomalies.active
        ],
    }


def _cumulative(counts: list[int]) -> list[int]:
    out, total = [], 0
    for n in counts:
        total += n
        out.append(total)
    return out
