"""Series selectors of rule tests: `name{label="value",...}` names exactly one series.

A selector gives every label of its metric, each with `=` (a test states what one series holds,
it does not query). Histograms are read as Prometheus shows them: `name_bucket{..., le="0.25"}`
(the cumulative count up to that bound; `le="+Inf"` is the count), `name_sum` and `name_count`.
Metrics are the rule files' and logsidecar's own (`logsidecar_rule_matches_total{rule="..."}`,
`logsidecar_parse_errors_total{source="..."}`). Everything is checked when the test file loads:
an unknown metric, a missing or unknown label, a bucket bound the histogram does not have.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from logsidecar.metrics.defs import Histogram, MetricDef
from logsidecar.metrics.store import Snapshot

Part = Literal["value", "bucket", "sum", "count"]
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_SPACE = re.compile(r"\s*")
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}
_SUFFIXES: tuple[tuple[str, Part], ...] = (
    ("_bucket", "bucket"),
    ("_sum", "sum"),
    ("_count", "count"),
)


class SelectorError(ValueError):
    """A selector that does not parse or names no series; the message is for the test's author."""


@dataclass(frozen=True)
class Selector:
    name: str
    labels: tuple[tuple[str, str], ...]  # as written


def parse_selector(text: str) -> Selector:
    """`name` or `name{a="b", c="d"}` (values in double or single quotes, `\\"` escapes)."""
    pos = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    name = _NAME.match(text, pos)
    if name is None:
        raise SelectorError(f"{text!r} does not start with a metric name")
    pos = name.end()
    labels: list[tuple[str, str]] = []
    if pos < len(text) and text[pos] == "{":
        pos = _skip(text, pos + 1)
        while pos < len(text) and text[pos] != "}":
            label = _LABEL.match(text, pos)
            if label is None:
                raise SelectorError(f"{text!r}: expected a label name at {text[pos:]!r}")
            pos = _skip(text, label.end())
            if text.startswith(("!=", "=~", "!~"), pos):
                op = text[pos : pos + 2]
                raise SelectorError(
                    f"{text!r}: only `=` is allowed ({op!r}): a selector names one series"
                )
            if not text.startswith("=", pos):
                raise SelectorError(f"{text!r}: expected `=` after label {label.group()!r}")
            value, pos = _quoted(text, _skip(text, pos + 1))
            if any(n == label.group() for n, _ in labels):
                raise SelectorError(f"{text!r}: label {label.group()!r} given twice")
            labels.append((label.group(), value))
            pos = _skip(text, pos)
            if pos < len(text) and text[pos] == ",":
                pos = _skip(text, pos + 1)
            elif pos < len(text) and text[pos] != "}":
                raise SelectorError(f"{text!r}: expected `,` or `}}` at {text[pos:]!r}")
        if pos >= len(text):
            raise SelectorError(f"{text!r}: missing `}}`")
        pos += 1
    if _skip(text, pos) != len(text):
        raise SelectorError(f"{text!r}: unexpected {text[pos:].strip()!r} after the selector")
    return Selector(name.group(), tuple(labels))


def _skip(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]


def _quoted(text: str, pos: int) -> tuple[str, int]:
    if pos >= len(text) or text[pos] not in "\"'":
        raise SelectorError(f'{text!r}: a label value is quoted, e.g. status="500"')
    quote = text[pos]
    out: list[str] = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == quote:
            return "".join(out), pos + 1
        if char == "\\" and pos + 1 < len(text) and text[pos + 1] in _ESCAPES:
            out.append(_ESCAPES[text[pos + 1]])
            pos += 2
            continue
        out.append(char)
        pos += 1
    raise SelectorError(f"{text!r}: unterminated label value")


@dataclass(frozen=True)
class Series:
    """One series of the store, as a selector resolved it."""

    metric: str  # the store's metric name (a histogram's own name for its _bucket/_sum/_count)
    part: Part
    labels: tuple[str, ...]  # values in the metric's label order
    text: str  # canonical: labels in the metric's order, `le` last
    bucket: int = 0  # for `bucket`: the index of the bound (len(buckets) is +Inf)

    def read(self, snapshot: Snapshot) -> float | None:
        """The series' value in `snapshot`, or None when the series does not exist."""
        value = snapshot.series.get(self.metric, {}).get(self.labels)
        if value is None:
            return None
        if not isinstance(value, Histogram):
            return float(value)
        if self.part == "sum":
            return value.total
        if self.part == "count":
            return float(value.count)
        return float(sum(value.counts[: self.bucket + 1]))


def resolve(selector: Selector, defs: Mapping[str, MetricDef]) -> Series:
    """The series `selector` names among `defs`. Raises SelectorError."""
    metric, part = _metric(selector.name, defs)
    given = dict(selector.labels)
    le: str | None = given.pop("le", None) if part == "bucket" else None
    wanted = list(metric.labels)
    unknown = [n for n in given if n not in wanted]
    if unknown:
        has = ", ".join(wanted) if wanted else "none"
        raise SelectorError(
            f"metric {metric.name!r} has no label {unknown[0]!r} (its labels: {has})"
        )
    missing = [n for n in wanted if n not in given] + (
        ["le"] if part == "bucket" and le is None else []
    )
    if missing:
        raise SelectorError(
            f"{selector.name!r} needs every label of its series; missing: {', '.join(missing)}"
        )
    values = tuple(given[n] for n in wanted)
    pairs = [f"{n}={_quote(given[n])}" for n in wanted]
    bucket = 0
    if le is not None:
        bucket = _bucket(metric, le)
        bound = metric.buckets[bucket] if bucket < len(metric.buckets) else math.inf
        pairs.append(f"le={_quote(format_bound(bound))}")
    text = selector.name + ("{" + ",".join(pairs) + "}" if pairs else "")
    return Series(metric.name, part, values, text, bucket)


def _metric(name: str, defs: Mapping[str, MetricDef]) -> tuple[MetricDef, Part]:
    metric = defs.get(name)
    if metric is not None:
        if metric.kind == "histogram":
            raise SelectorError(
                f'{name!r} is a histogram: read {name}_bucket{{..., le="..."}}, {name}_sum or'
                f" {name}_count"
            )
        return metric, "value"
    for suffix, part in _SUFFIXES:
        base = defs.get(name.removesuffix(suffix)) if name.endswith(suffix) else None
        if base is not None and base.kind == "histogram":
            return base, part
    names = [
        *defs,
        *(f"{d.name}{s}" for d in defs.values() if d.kind == "histogram" for s, _ in _SUFFIXES),
    ]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise SelectorError(f"unknown metric {name!r}: the rule files define no such series{hint}")


def _bucket(metric: MetricDef, le: str) -> int:
    try:
        bound = float(le)
    except ValueError:
        raise SelectorError(
            f'le={le!r} is not a number (write e.g. le="0.25" or le="+Inf")'
        ) from None
    if math.isinf(bound) and bound > 0:
        return len(metric.buckets)
    for i, edge in enumerate(metric.buckets):
        if edge == bound:
            return i
    known = ", ".join([*map(format_bound, metric.buckets), "+Inf"])
    raise SelectorError(f"histogram {metric.name!r} has no bucket le={le!r} (its buckets: {known})")


def format_bound(bound: float) -> str:
    """A bucket bound as Prometheus writes it: 0.25, 1.0, +Inf."""
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
