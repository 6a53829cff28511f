"""Lint: rules that load, but probably do not do what was meant. Warnings, with positions.

- a label fed by a regex capture of unbounded length, on a metric without an explicit
  `max_series` (every distinct value is a new series, until the default cap folds them away);
- a label, `value`, `exemplar` or `timestamp` field that no parser or regex of the rule's sources
  can produce (raw and regex sources have a known set of fields; json and logfmt do not);
- `expire_after` on a counter (an expired counter that comes back looks like a reset);
- a regex that can backtrack badly enough that long lines run on the slower linear engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from logsidecar.errors import RuleProblem
from logsidecar.rules.conditions import Match
from logsidecar.rules.model import Metric, Rule, Source
from logsidecar.rules.regex import Regex, compile_pattern

Path = tuple[str | int, ...]
Warn = Callable[[Path, str, bool], RuleProblem]  # (path, message, at_key)
SLOW_BELOW = 256  # warn when lines longer than this may leave the fast regex engine


@dataclass(frozen=True)
class LintRule:
    rule: Rule
    raw: dict[str, Any]  # as written: what was set explicitly
    path: Path  # ("rules", i)
    match: Match
    warn: Warn


@dataclass(frozen=True)
class _Fields:
    known: frozenset[str] | None  # None: the parser can produce any field (json, logfmt)
    unbounded: frozenset[str]


def _source_fields(source: Source) -> _Fields:
    if source.format == "raw":
        return _Fields(frozenset({"line"}), frozenset())
    if source.format == "regex" and source.pattern:
        regex = compile_pattern(source.pattern)
        return _Fields(frozenset({"line", *regex.groupindex}), regex.unbounded)
    return _Fields(None, frozenset())


def _slow(regex: Regex) -> str | None:
    if regex.limit >= SLOW_BELOW:
        return None
    if regex.limit == 0:
        return (
            f"regex '{regex.pattern}' can backtrack exponentially: every line runs on the "
            "slower linear-time engine (rewrite the ambiguous repeat to keep it fast)"
        )
    return (
        f"regex '{regex.pattern}' can backtrack in time ~n^{regex.degree}: lines longer than "
        f"{regex.limit} characters run on the slower linear-time engine (anchor it with ^, or "
        "replace `.*` by a class that cannot run past the next part, like [^ ]*)"
    )


def _lint_sources(
    sources: Sequence[Source], raw_sources: Sequence[tuple[dict[str, Any], Warn, Path]]
) -> list[RuleProblem]:
    found: list[RuleProblem] = []
    by_name = {s.name: s for s in sources}
    for raw, warn, path in raw_sources:
        source = by_name.get(str(raw.get("name")))
        if source is None:
            continue
        patterns: list[tuple[Path, str]] = []
        if source.pattern:
            patterns.append(((*path, "pattern"), source.pattern))
        if source.multiline:
            patterns.append(((*path, "multiline", "start"), source.multiline.start))
        for at, pattern in patterns:
            message = _slow(compile_pattern(pattern))
            if message:
                found.append(warn(at, message, False))
        fields = _source_fields(source)
        stamp = source.timestamp
        if stamp and fields.known is not None and stamp.field not in fields.known:
            found.append(
                warn(
                    (*path, "timestamp", "field"),
                    f"field {stamp.field!r} is never set by this source's parser: "
                    "events will carry their arrival time",
                    False,
                )
            )
    return found


def _lint_metric(item: LintRule, j: int, metric: Metric, fields: _Fields) -> list[RuleProblem]:
    found: list[RuleProblem] = []
    raw_metrics = item.raw.get("metrics")
    raw = raw_metrics[j] if isinstance(raw_metrics, list) and j < len(raw_metrics) else {}
    path = (*item.path, "metrics", j)
    known = fields.known
    spots: list[tuple[str, Path, str]] = []  # (field, where, what it feeds)
    for label, field in metric.label_map.items():
        spots.append((field, (*path, "labels", _label_index(metric, label)), f"label {label!r}"))
    if metric.value is not None:
        spots.append((metric.value, (*path, "value"), "`value`"))
    if metric.exemplar is not None:
        spots.append((metric.exemplar, (*path, "exemplar"), "`exemplar`"))
    for field, at, what in spots:
        if known is not None and field not in known:
            found.append(
                item.warn(
                    at,
                    f"{what} reads field {field!r}, which no parser or regex of this rule "
                    f"sets (known: {', '.join(sorted(known))})",
                    False,
                )
            )
        elif what.startswith("label") and field in fields.unbounded and "max_series" not in raw:
            found.append(
                item.warn(
                    at,
                    f"{what} is fed by an unbounded regex capture ({field!r}) and the metric "
                    f"has no max_series: up to {metric.max_series} series before overflow; "
                    "set max_series to what you expect",
                    False,
                )
            )
    if metric.kind == "counter" and metric.expire_after is not None:
        found.append(
            item.warn(
                (*path, "expire_after"),
                "an expired counter that comes back starts again from 0, which Prometheus "
                "reads as a reset (expire_after is meant for gauges and histograms)",
                True,
            )
        )
    return found


def _label_index(metric: Metric, label: str) -> str | int:
    if isinstance(metric.labels, dict):
        return label
    return metric.labels.index(label)


def lint(
    sources: Sequence[Source],
    raw_sources: Sequence[tuple[dict[str, Any], Warn, Path]],
    rules: Sequence[LintRule],
) -> list[RuleProblem]:
    """Warnings for a rule set that loaded without errors."""
    found = _lint_sources(sources, raw_sources)
    per_source = {s.name: _source_fields(s) for s in sources}
    for item in rules:
        for at, regex in item.match.regexes:
            message = _slow(regex)
            if message:
                found.append(item.warn(at, message, False))
        applies = [f for name, f in per_source.items() if item.rule.source in (None, name)]
        if not applies:
            found.append(
                item.warn((*item.path, "name"), "no source is defined: it never matches", False)
            )
            continue
        known: frozenset[str] | None = frozenset(item.match.captured)
        unbounded = set(item.match.unbounded)
        for fields in applies:
            unbounded |= fields.unbounded
            known = None if known is None or fields.known is None else known | fields.known
        merged = _Fields(known, frozenset(unbounded))
        for j, metric in enumerate(item.rule.metrics):
            found.extend(_lint_metric(item, j, metric, merged))
    return found
