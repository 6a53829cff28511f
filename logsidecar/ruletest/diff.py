"""What a failed assertion says: expected against actual, as `-`/`+` lines, or as JSON.

A metric failure lists each series whose value differs (`absent` for a series that does not
exist); an anomaly failure lists the detector's firing alerts, expected only (`-`), actual only
(`+`) and both (indented), with notes on alerts still pending and the values measured. Each starts
with FILE:LINE:COL of the assertion, the test's name and the instant (`at`, from the test's start).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from logsidecar.ruletest.plan import FiringAlert, LabelPairs, Where

ABSENT = "absent"


@dataclass(frozen=True)
class SeriesDiff:
    series: str
    expected: float | None  # None: expected absent
    actual: float | None  # None: absent


@dataclass(frozen=True)
class MetricFailure:
    where: Where
    test: str
    at: float
    diffs: tuple[SeriesDiff, ...]


@dataclass(frozen=True)
class AnomalyFailure:
    where: Where
    test: str
    at: float
    detector: str
    expected: tuple[FiringAlert, ...]
    actual: tuple[FiringAlert, ...]
    pending: tuple[tuple[LabelPairs, float], ...] = ()  # (labels, since: offset from start)
    values: tuple[tuple[LabelPairs, float], ...] = ()  # (group, value) measured at `at`


Failure = MetricFailure | AnomalyFailure


def format_duration(seconds: float) -> str:
    """An offset as a test writes it: 0s, 10s, 1m30s, 1h2m, 1.5s."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{int(hours)}h"] if hours else []
    parts += [f"{int(minutes)}m"] if minutes else []
    if secs or not parts:
        parts.append(f"{round(secs, 6):g}s")
    return "".join(parts)


def format_number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def format_labels(pairs: LabelPairs) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _alert(alert: FiringAlert) -> str:
    text = format_labels(alert.labels)
    if alert.annotations is not None:
        text += " annotations " + format_labels(alert.annotations)
    return text


def _value(value: float | None) -> str:
    return ABSENT if value is None else format_number(value)


def render(failure: Failure) -> str:
    """The failure as text, ending in a newline."""
    head = f"{failure.where}: test {failure.test!r}: "
    when = format_duration(failure.at)
    if isinstance(failure, MetricFailure):
        lines = [f"{head}metrics at {when} differ (- expected, + actual):"]
        for d in failure.diffs:
            lines.append(f"  - {d.series} {_value(d.expected)}")
            lines.append(f"  + {d.series} {_value(d.actual)}")
        return "\n".join(lines) + "\n"
    lines = [f"{head}{failure.detector} firing at {when} differs (- expected, + actual):"]
    expected, actual = list(failure.expected), list(failure.actual)
    rows: list[tuple[LabelPairs, int, str]] = []
    for alert in expected:
        if alert in actual:
            actual.remove(alert)
            rows.append((alert.labels, 0, f"    {_alert(alert)}"))
        else:
            rows.append((alert.labels, 1, f"  - {_alert(alert)}"))
    rows += [(alert.labels, 2, f"  + {_alert(alert)}") for alert in actual]
    lines += [text for _, _, text in sorted(rows)]
    if not failure.expected and not failure.actual:
        lines.append("    (none)")
    for labels, since in failure.pending:
        lines.append(f"  # pending since {format_duration(since)}: {format_labels(labels)}")
    for group, value in failure.values:
        lines.append(f"  # value {format_number(value)}: {format_labels(group)}")
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return format_number(value)


def _alert_json(alert: FiringAlert) -> dict[str, Any]:
    out: dict[str, Any] = {"labels": dict(alert.labels)}
    if alert.annotations is not None:
        out["annotations"] = dict(alert.annotations)
    return out


def as_json(failure: Failure) -> dict[str, Any]:
    """The failure as JSON-able data (non-finite numbers as "+Inf", "-Inf", "NaN")."""
    out: dict[str, Any] = {
        "file": failure.where.file,
        "line": failure.where.line,
        "column": failure.where.column,
        "test": failure.test,
        "at": format_duration(failure.at),
        "at_seconds": failure.at,
    }
    if isinstance(failure, MetricFailure):
        out["kind"] = "metrics"
        out["series"] = [
            {"series": d.series, "expected": _number(d.expected), "actual": _number(d.actual)}
            for d in failure.diffs
        ]
        return out
    out["kind"] = "anomalies"
    out["detector"] = failure.detector
    out["expected"] = [_alert_json(a) for a in failure.expected]
    out["actual"] = [_alert_json(a) for a in failure.actual]
    out["pending"] = [
        {"labels": dict(labels), "since": format_duration(since)}
        for labels, since in failure.pending
    ]
    out["values"] = [{"group": dict(g), "value": _number(v)} for g, v in failure.values]
    return out
