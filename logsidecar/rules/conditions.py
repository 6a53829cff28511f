"""`match` blocks compiled into predicates over events.

An event is a dict of fields; `line` holds the raw text. A predicate returns True when the event
matches; a `regex` test with named groups adds those groups to the event as fields, so later tests
and the rule's metrics can use them. Entries of a block all must hold (AND), in the order written;
`any: [...]` holds when one of its blocks does, `not: {...}` when its block does not.

Comparisons are type-tolerant: when both sides look numeric they compare as numbers, otherwise as
strings. A missing field fails every test except `exists: false`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from logsidecar.rules.regex import compile_pattern

Event = dict[str, Any]
Predicate = Callable[[Event], bool]
Path = tuple[str | int, ...]
Report = Callable[[Path, str, bool], None]  # (path, message, at_key)

OPERATORS = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "regex",
    "contains",
    "startswith",
    "endswith",
    "exists",
)
_MISSING = object()
_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def as_number(value: object) -> float | None:
    """The number a value stands for, or None when it does not look numeric."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        if "_" in value or not math.isfinite(number):
            return None
        return number
    return None


def as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(op: str, expected: object) -> Callable[[Any], bool]:
    exp_num = as_number(expected)
    exp_txt = as_text(expected)

    rel = _RELATIONS[op]

    def test(value: Any) -> bool:
        if exp_num is not None:
            num = as_number(value)
            if num is not None:
                return rel(num, exp_num)
        return rel(as_text(value), exp_txt)

    return test


class _Compiler:
    def __init__(self, lists: Mapping[str, Sequence[object]], report: Report) -> None:
        self.lists = lists
        self.report = report
        self.captures = False  # some regex adds fields to the event

    def block(self, block: object, path: Path) -> Predicate | None:
        if not isinstance(block, Mapping):
            self.report(path, "a match block must be a mapping of field: {operator: value}", False)
            return None
        parts: list[Predicate] = []
        for key, spec in block.items():
            sub = (*path, key)
            pred: Predicate | None
            if key == "any":
                pred = self.any_of(spec, sub)
            elif key == "not":
                inner = self.block(spec, sub)
                pred = None if inner is None else _negate(inner)
            else:
                pred = self.field(str(key), spec, sub)
            if pred is not None:
                parts.append(pred)
        if len(parts) == 1:
            return parts[0]
        preds = tuple(parts)
        return lambda event: all(p(event) for p in preds)

    def any_of(self, spec: object, path: Path) -> Predicate | None:
        if not isinstance(spec, list) or not spec:
            self.report(path, "`any` takes a non-empty list of match blocks", False)
            return None
        preds = [self.block(item, (*path, i)) for i, item in enumerate(spec)]
        kept = tuple(p for p in preds if p is not None)
        return lambda event: any(p(event) for p in kept)

    def field(self, name: str, spec: object, path: Path) -> Predicate | None:
        if not isinstance(spec, Mapping):
            spec = {"eq": spec}  # `status: 500` is short for `status: {eq: 500}`
        tests: list[Callable[[Any], bool]] = []
        exists_wanted: bool | None = None
        for op, arg in spec.items():
            sub = (*path, op)
            if op not in OPERATORS:
                self.report(sub, f"unknown operator {op!r} (one of: {', '.join(OPERATORS)})", True)
                continue
            if op == "exists":
                if not isinstance(arg, bool):
                    self.report(sub, "`exists` takes true or false", False)
                    continue
                exists_wanted = arg
                continue
            test = self.operator(op, arg, sub)
            if test is not None:
                tests.append(test)
        return _field_predicate(name, tuple(tests), exists_wanted)

    def operator(self, op: str, arg: object, path: Path) -> Callable[[Any], bool] | None:
        if op in ("in", "not_in"):
            values = self.resolve_list(arg, path)
            if values is None:
                return None
            nums = {n for n in map(as_number, values) if n is not None}
            texts = {as_text(v) for v in values}

            def member(value: Any) -> bool:
                num = as_number(value)
                return (num is not None and num in nums) or as_text(value) in texts

            if op == "in":
                return member
            return lambda value: not member(value)
        if isinstance(arg, list | dict) or arg is None:
            self.report(path, f"`{op}` takes a single value", False)
            return None
        if op == "regex":
            try:
                pattern = compile_pattern(str(arg))
            except ValueError as exc:
                self.report(path, str(exc), False)
                return None
            self.captures = self.captures or bool(pattern.groupindex)
            return _RegexTest(pattern)
        text = as_text(arg)
        if op == "contains":
            return lambda value: text in as_text(value)
        if op == "startswith":
            return lambda value: as_text(value).startswith(text)
        if op == "endswith":
            return lambda value: as_text(value).endswith(text)
        return _compare(op, arg)

    def resolve_list(self, arg: object, path: Path) -> list[object] | None:
        if isinstance(arg, str) and arg.startswith("$"):
            name = arg[1:]
            if name not in self.lists:
                self.report(path, f"unknown list {arg!r}", False)
                return None
            return list(self.lists[name])
        if isinstance(arg, list):
            return list(arg)
        self.report(path, "takes a list of values or a $list reference", False)
        return None


class _RegexTest:
    """A regex test; named groups become fields of the event (set by the field predicate)."""

    __slots__ = ("groups", "pattern")

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern
        self.groups = bool(pattern.groupindex)

    def __call__(self, value: Any) -> bool:
        return self.pattern.search(value if isinstance(value, str) else as_text(value)) is not None


def _field_predicate(
    name: str, tests: tuple[Callable[[Any], bool], ...], exists_wanted: bool | None
) -> Predicate:
    def predicate(event: Event) -> bool:
        value = event.get(name, _MISSING)
        if value is _MISSING or value is None:
            return exists_wanted is False
        if exists_wanted is False:
            return False
        for test in tests:
            if isinstance(test, _RegexTest) and test.groups:
                found = test.pattern.search(value if isinstance(value, str) else as_text(value))
                if found is None:
                    return False
                for key, group in found.groupdict().items():
                    if group is not None:
                        event[key] = group
            elif not test(value):
                return False
        return True

    return predicate


def _negate(pred: Predicate) -> Predicate:
    return lambda event: not pred(event)


def compile_match(
    block: object, path: Path, lists: Mapping[str, Sequence[object]], report: Report
) -> tuple[Predicate | None, bool]:
    """Compile a rule's `match` block; problems go to `report` with their exact path.

    Returns the predicate and whether it adds fields to the events it matches.
    """
    compiler = _Compiler(lists, report)
    return compiler.block(block, path), compiler.captures
