"""For random logs and random rules, `replay` prints what a plain reference evaluator computes.

The reference below is written from the contract (RULES.md), line by line, with none of the
engine's machinery: no batches, no compiled predicates, no store. Values are small dyadic numbers
so that sums are exact whatever the order they are added in.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from logsidecar.replay import render, replay
from logsidecar.rules.load import parse_rule_texts

FIELDS = ["a", "b"]
VALUES = ["1", "2", "-3", "0.5", "x", "ab", "/p"]
OVERFLOW = "__overflow__"
REGEXES = [r"(?P<a>\d+)", r"x", r"^(?P<b>[a-z]+)", r"=(?P<b>[^ ]*)", r"\d"]

# -- random logs ------------------------------------------------------------------------------
events = st.lists(
    st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(VALUES), max_size=2),
    max_size=30,
)


def as_line(fmt: str, event: dict[str, str], garbage: bool) -> str:
    if garbage:
        return '{"a": ' if fmt == "json" else ""
    if fmt == "json":
        return json.dumps({k: (float(v) if _num(v) is not None and "." in v else v)
                           for k, v in event.items()})  # fmt: skip
    return " ".join(f"{k}={v}" for k, v in event.items())


# -- random rules ------------------------------------------------------------------------------
scalar = st.sampled_from([1, 2, -3, 0.5, "x", "ab", "1"])
leaf = st.one_of(
    st.tuples(st.sampled_from(FIELDS), st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]), scalar),
    st.tuples(st.sampled_from(FIELDS), st.sampled_from(["in", "not_in"]), st.lists(scalar, min_size=1, max_size=3)),
    st.tuples(st.sampled_from(FIELDS), st.sampled_from(["contains", "startswith", "endswith"]), st.sampled_from(["a", "1", "x", "/"])),
    st.tuples(st.sampled_from(FIELDS), st.just("exists"), st.booleans()),
    st.tuples(st.sampled_from([*FIELDS, "line"]), st.just("regex"), st.sampled_from(REGEXES)),
).map(lambda t: {t[0]: {t[1]: t[2]}})  # fmt: skip


def _blocks(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda bs: {"any": bs}),
        children.map(lambda b: {"not": b}),
        st.tuples(children, children).map(_merge),
    )


def _merge(pair: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    merged = dict(pair[0])
    for key, value in pair[1].items():
        merged.setdefault(key, value)
    return merged


blocks = st.recursive(leaf, _blocks, max_leaves=5)


@st.composite
def metric(draw: st.DrawFn, index: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["counter", "gauge", "histogram"]))
    labels = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=2))
    out: dict[str, Any] = {kind: f"m{index}_total" if kind == "counter" else f"m{index}"}
    out["labels"] = labels
    out["max_series"] = draw(st.integers(1, 3))
    value = draw(st.sampled_from([None, *FIELDS]))
    if kind == "histogram":
        out["value"] = value or "a"
        out["buckets"] = [0, 1, 5]
    elif kind == "gauge":
        out["action"] = draw(st.sampled_from(["set", "inc", "dec"]))
        if value or out["action"] == "set":
            out["value"] = value or "b"
    elif value:
        out["value"] = value
    return out


@st.composite
def rule_files(draw: st.DrawFn) -> dict[str, Any]:
    fmt = draw(st.sampled_from(["json", "logfmt"]))
    rules = []
    for i in range(draw(st.integers(1, 4))):
        rule: dict[str, Any] = {"name": f"r{i}", "metrics": [draw(metric(i * 10 + j))
                                                            for j in range(draw(st.integers(0, 2)))]}  # fmt: skip
        if draw(st.booleans()):
            rule["match"] = draw(blocks)
        rules.append(rule)
    return {
        "version": 1,
        "sources": [{"name": "s", "paths": ["/x"], "format": fmt}],
        "rules": rules,
    }


# -- the reference evaluator ----------------------------------------------------------------------
def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse(fmt: str, line: str) -> dict[str, Any] | None:
    if fmt == "json":
        try:
            value = json.loads(line)
        except ValueError:
            return None
        return {**value, "line": line} if isinstance(value, dict) else None
    pairs = dict(part.split("=", 1) if "=" in part else (part, "true") for part in line.split())
    return {**pairs, "line": line} if pairs else None


def _compare(op: str, have: Any, want: Any) -> bool:
    a, b = _num(have), _num(want)
    if a is None or b is None:
        a, b = _text(have), _text(want)  # type: ignore[assignment]
    return {"eq": a == b, "ne": a != b, "lt": a < b, "lte": a <= b, "gt": a > b, "gte": a >= b}[op]  # type: ignore[operator]


def _holds(block: dict[str, Any], event: dict[str, Any]) -> bool:
    for key, spec in block.items():
        if key == "any":
            ok = any(_holds(b, event) for b in spec)
        elif key == "not":
            ok = not _holds(spec, event)
        else:
            ok = _field(key, spec, event)
        if not ok:
            return False
    return True


def _field(name: str, spec: dict[str, Any], event: dict[str, Any]) -> bool:
    value = event.get(name)
    ((op, arg),) = spec.items()
    if op == "exists":
        return (value is not None) == arg
    if value is None:
        return False
    if op in ("in", "not_in"):
        member = any(_compare("eq", value, x) for x in arg)
        return member if op == "in" else not member
    if op == "contains":
        return arg in _text(value)
    if op == "startswith":
        return _text(value).startswith(arg)
    if op == "endswith":
        return _text(value).endswith(arg)
    if op == "regex":
        found = re.search(arg, _text(value), re.ASCII)
        if found:
            event.update({k: v for k, v in found.groupdict().items() if v is not None})
        return found is not None
    return _compare(op, value, arg)


def reference(
    doc: dict[str, Any], lines: list[str]
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    fmt = doc["sources"][0]["format"]
    out: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    series: dict[str, list[tuple[str, ...]]] = {}

    def add(name: str, labels: dict[str, str], amount: float, set_to: bool = False) -> None:
        key = (name, frozenset(labels.items()))
        out[key] = amount if set_to else out.get(key, 0.0) + amount

    def count(name: str, label: str, value: str) -> None:
        add(name, {label: value}, 1.0)

    for line in lines:
        count("logsidecar_lines_total", "source", "s")
        event = _parse(fmt, line)
        if event is None:
            count("logsidecar_parse_errors_total", "source", "s")
            continue
        for rule in doc["rules"]:
            ev = dict(event)
            if "match" in rule and not _holds(rule["match"], ev):
                continue
            count("logsidecar_rule_matches_total", "rule", rule["name"])
            for m in rule["metrics"]:
                kind = next(k for k in ("counter", "gauge", "histogram") if k in m)
                name = m[kind]
                amount = 1.0
                if "value" in m:
                    number = _num(ev.get(m["value"]))
                    if number is None or (kind == "counter" and number < 0):
                        count("logsidecar_value_errors_total", "metric", name)
                        continue
                    amount = number
                values = tuple("" if ev.get(f) is None else _text(ev[f]) for f in m["labels"])
                known = series.setdefault(name, [])
                if values not in known and len(known) >= m["max_series"]:
                    add("logsidecar_series_overflow_total", {"metric": name}, 1.0)
                    values = (OVERFLOW,) * len(values)
                elif values not in known:
                    known.append(values)
                labels = dict(zip(m["labels"], values, strict=True))
                if kind == "counter":
                    add(name + ("" if name.endswith("_total") else "_total"), labels, amount)
                elif kind == "gauge":
                    action = m.get("action", "set")
                    sign = {"set": 1.0, "inc": 1.0, "dec": -1.0}[action]
                    add(name, labels, sign * amount, set_to=action == "set")
                else:
                    for bound in ["0.0", "1.0", "5.0", "+Inf"]:
                        if amount <= float(bound):
                            add(name + "_bucket", {**labels, "le": bound}, 1.0)
                        else:
                            add(name + "_bucket", {**labels, "le": bound}, 0.0)
                    add(name + "_count", labels, 1.0)
                    add(name + "_sum", labels, amount)
    return out


def printed(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name != "logsidecar_bytes_total"
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=rule_files(), evs=events, garbage=st.lists(st.booleans(), max_size=25))
def test_replay_equals_the_reference_evaluator(
    tmp_path_factory: Any, doc: dict[str, Any], evs: list[dict[str, str]], garbage: list[bool]
) -> None:
    fmt = doc["sources"][0]["format"]
    lines = [as_line(fmt, e, i < len(garbage) and garbage[i]) for i, e in enumerate(evs)]
    ruleset = parse_rule_texts([("rules.yaml", yaml.safe_dump(doc, sort_keys=False))], "digest")
    log: Path = tmp_path_factory.mktemp("replay") / "x.log"
    log.write_text("".join(line + "\n" for line in lines))
    assert reference(doc, lines) == printed(render(replay(ruleset, [str(log)])))
