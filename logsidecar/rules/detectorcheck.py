"""What the detector models cannot see alone, checked on the YAML data with positions.

- where pydantic's errors about a detector point: its tagged union puts the `type` into each
  error's location, which is no key of the file; an unknown or missing `type` is one error;
- references: `rule`, `numerator`, `denominator` name rules, `source` names a source;
- `group_by` and static `labels`: valid label names, not `detector` or `state` (the anomaly
  series has those), no label both grouped and static, no duplicate;
- `annotations`: only `{{ value }}` and `{{ labels.X }}`, X a `group_by` or static label;
- threshold: `field` goes with an `aggregate` other than count, and only then;
- spike, template_rate: the `baseline` is longer than the `window`.

Detectors of an unknown type are left to the one error about their `type`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from pydantic_core import ErrorDetails

from logsidecar.rules.detectors import DETECTOR_TYPES, OPERATORS, allowed_keys
from logsidecar.rules.durations import parse_duration
from logsidecar.rules.frozen import LABEL_NAME

Path = tuple[str | int, ...]
Report = Callable[[Path, str, bool], None]  # (path, message, at_key)
Spot = tuple[Path, str, bool]
RESERVED_LABELS = ("detector", "state")
AGGREGATES = ("sum", "avg", "max", "min")
_KNOWN = ", ".join(DETECTOR_TYPES)
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_LABEL_REF = re.compile(r"labels\.(\w+)")


def strip_tag(loc: Path) -> Path:
    """A pydantic error location with a detector's union tag taken out."""
    if len(loc) >= 3 and loc[0] == "detectors" and loc[2] in DETECTOR_TYPES:
        return (*loc[:2], *loc[3:])
    return loc


def explain(loc: Path, err: ErrorDetails) -> Spot | None:
    """Where and what, for the detector errors pydantic words badly; None for the others."""
    if loc[:1] != ("detectors",) or len(loc) < 2:
        return None
    kind = err["type"]
    if kind == "union_tag_invalid" and len(loc) == 2:
        tag = err["input"].get("type") if isinstance(err["input"], dict) else None
        return (*loc, "type"), f"unknown detector type {tag!r} (one of: {_KNOWN})", False
    if kind == "union_tag_not_found" and len(loc) == 2:
        return loc, f"missing required key 'type' (one of: {_KNOWN})", False
    if kind == "extra_forbidden" and len(loc) == 4 and loc[2] == "condition":
        message = f"unknown operator {loc[-1]!r} (one of: {', '.join(OPERATORS)})"
        return loc, message, True
    if loc[-1] == "[key]":
        return loc[:-1], str(err["msg"]), True
    return None


def check_detector(
    raw: dict[str, Any],
    path: Path,
    rules: Collection[str],
    sources: Collection[str],
    report: Report,
) -> None:
    """Report what is wrong with one detector, as written, beyond its model's shape."""
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in DETECTOR_TYPES:
        return
    allowed = allowed_keys(kind)
    for key in ("rule", "numerator", "denominator", "source"):
        ref = raw.get(key)
        if key not in allowed or not isinstance(ref, str):
            continue
        known, what = (sources, "source") if key == "source" else (rules, "rule")
        if ref not in known:
            report((*path, key), f"unknown {what} {ref!r}", False)
    grouped = _group_by(raw, path, report) if "group_by" in allowed else []
    static = _labels(raw, path, grouped, report)
    _annotations(raw, path, {*grouped, *static}, report)
    if kind == "threshold":
        _aggregate(raw, path, report)
    if "baseline" in allowed:
        _baseline(raw, path, report)


def _label_problem(name: str) -> str | None:
    if not LABEL_NAME.match(name) or name.startswith("__"):
        return f"invalid label name {name!r}"
    if name in RESERVED_LABELS:
        return f"label {name!r} is reserved: the anomaly series has it already"
    return None


def _group_by(raw: dict[str, Any], path: Path, report: Report) -> list[str]:
    """The valid `group_by` labels; reports the others."""
    names = raw.get("group_by")
    if not isinstance(names, list):
        return []
    seen: list[str] = []
    for i, name in enumerate(names):
        if not isinstance(name, str):
            continue
        problem = _label_problem(name)
        if problem is None and name in seen:
            problem = f"duplicate label {name!r} in group_by"
        if problem is not None:
            report((*path, "group_by", i), problem, False)
        else:
            seen.append(name)
    return seen


def _labels(raw: dict[str, Any], path: Path, grouped: list[str], report: Report) -> list[str]:
    """The valid static labels; reports the others."""
    labels = raw.get("labels")
    if not isinstance(labels, dict):
        return []
    valid: list[str] = []
    for name in (name for name in labels if isinstance(name, str)):
        problem = _label_problem(name)
        if problem is None and name in grouped:
            problem = f"label {name!r} is also a group_by label: it would be set twice"
        if problem is not None:
            report((*path, "labels", name), problem, True)
        else:
            valid.append(name)
    return valid


def _annotations(raw: dict[str, Any], path: Path, labels: set[str], report: Report) -> None:
    annotations = raw.get("annotations")
    if not isinstance(annotations, dict):
        return
    for key, text in annotations.items():
        if not isinstance(text, str):
            continue
        for problem in _placeholder_problems(text, labels):
            report((*path, "annotations", key), problem, False)


def _placeholder_problems(text: str, labels: set[str]) -> list[str]:
    problems: list[str] = []
    for m in _PLACEHOLDER.finditer(text):
        inner = m.group(1).strip()
        ref = _LABEL_REF.fullmatch(inner)
        if inner == "value":
            continue
        if ref is None:
            problems.append(
                f"unknown placeholder {m.group(0)!r} (use {{{{ value }}}} or {{{{ labels.NAME }}}})"
            )
        elif ref.group(1) not in labels:
            known = ", ".join(sorted(labels)) or "none"
            problems.append(
                f"placeholder {m.group(0)!r}: {ref.group(1)!r} is neither a group_by label "
                f"nor a static label (known: {known})"
            )
    if "{{" in _PLACEHOLDER.sub("", text):
        problems.append("a placeholder opened with {{ is not closed with }}")
    return problems


def _aggregate(raw: dict[str, Any], path: Path, report: Report) -> None:
    aggregate = raw.get("aggregate", "count")
    if aggregate in AGGREGATES and "field" not in raw:
        report(
            (*path, "aggregate"),
            f"aggregate {aggregate!r} needs `field`: the numeric field to aggregate",
            False,
        )
    if aggregate == "count" and "field" in raw:
        report(
            (*path, "field"),
            "`field` is only used with aggregate sum, avg, max or min (not count)",
            True,
        )


def _baseline(raw: dict[str, Any], path: Path, report: Report) -> None:
    try:
        window = parse_duration(raw.get("window"))
        baseline = parse_duration(raw.get("baseline"))
    except ValueError:
        return  # missing or not a duration: reported by the model
    if 0 < baseline <= window:
        report(
            (*path, "baseline"),
            f"`baseline` ({raw['baseline']}) must be longer than `window` ({raw['window']})",
            False,
        )
