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
from dataclasses import dataclass
from typing import Any

from logsidecar.rules.regex import Regex, compile_pattern

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
    if value.__class__ is str:  # the common case first: fields parsed from text
        try:
            number = float(value)
        except ValueError:
            return None
        if number - number != 0.0 or "_" in value:
            return None  # inf, nan, and 1_000 (float() reads it; people do not)
        return number
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        return as_number(str(value))
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
        self.captured: set[str] = set()  # fields that regex named groups add to the event
        self.unbounded: set[str] = set()  # ... of them, those that can take any length
        self.regexes: list[tuple[Path, Regex]] = []  # every regex, where it was written

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
        return _all_of(tuple(parts))

    def any_of(self, spec: object, path: Path) -> Predicate | None:
        if not isinstance(spec, list) or not spec:
            self.report(path, "`any` takes a non-empty list of match blocks", False)
            return None
        preds = [self.block(item, (*path, i)) for i, item in enumerate(spec)]
        kept = tuple(p for p in preds if p is not None)

        def any_of(event: Event) -> bool:
            for pred in kept:  # noqa: SIM110 - a plain loop: no generator per event
                if pred(event):
                    return True
            return False

        return any_of

    def field(self, name: str, spec: object, path: Path) -> Predicate | None:
        if not isinstance(spec, Mapping):
            spec = {"eq": spec}  # `status: 500` is short for `status: {eq: 500}`
        tests: list[Callable[[Any], bool]] = []
        captures: list[Regex] = []
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
            if op == "regex":
                regex = self.regex(arg, sub)
                if regex is not None and regex.groupindex:
                    captures.append(regex)
                elif regex is not None:
                    tests.append(_text_test(regex.test))
                continue
            test = self.operator(op, arg, sub)
            if test is not None:
                tests.append(test)
        return _field_predicate(name, tuple(tests), tuple(captures), exists_wanted)

    def regex(self, arg: object, path: Path) -> Regex | None:
        if isinstance(arg, list | dict) or arg is None:
            self.report(path, "`regex` takes a single pattern", False)
            return None
        try:
            regex = compile_pattern(str(arg))
        except ValueError as exc:
            self.report(path, str(exc), False)
            return None
        self.captured.update(regex.groupindex)
        self.unbounded.update(regex.unbounded)
        self.regexes.append((path, regex))
        return regex

    def operator(self, op: str, arg: object, path: Path) -> Callable[[Any], bool] | None:
        if op in ("in", "not_in"):
            values = self.resolve_list(arg, path)
            if values is None:
                return None
            nums = {n for n in map(as_number, values) if n is not None}
            texts = frozenset(as_text(v) for v in values)

            def member(value: Any) -> bool:
                if value.__class__ is str and value in texts:
                    return True
                if nums:
                    num = as_number(value)
                    if num is not None and num in nums:
                        return True
                return value.__class__ is not str and as_text(value) in texts

            if op == "in":
                return member
            return lambda value: not member(value)
        if isinstance(arg, list | dict) or arg is None:
            self.report(path, f"`{op}` takes a single value", False)
            return None
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


def _text_test(test: Callable[[str], bool]) -> Callable[[Any], bool]:
    return lambda value: test(value if isinstance(value, str) else as_text(value))


def _field_predicate(
    name: str,
    tests: tuple[Callable[[Any], bool], ...],
    captures: tuple[Regex, ...],
    exists_wanted: bool | None,
) -> Predicate:
    if exists_wanted is False:
        return lambda event: event.get(name) is None
    if len(tests) == 1 and not captures:
        (test,) = tests

        def one(event: Event) -> bool:
            value = event.get(name)
            return value is not None and test(value)

        return one

    def predicate(event: Event) -> bool:
        value = event.get(name)
        if value is None:
            return False
        for test in tests:
            if not test(value):
                return False
        for regex in captures:
            found = regex.fields(value if isinstance(value, str) else as_text(value))
            if found is None:
                return False
            event.update(found)
        return True

    return predicate


def _all_of(parts: tuple[Predicate, ...]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda event: first(event) and second(event)

    def all_of(event: Event) -> bool:
        for pred in parts:  # noqa: SIM110 - a plain loop: no generator per event
            if not pred(event):
                return False
        return True

    return all_of


def _negate(pred: Predicate) -> Predicate:
    return lambda event: not pred(event)


@dataclass(frozen=True)
class Match:
    """A compiled `match` block."""

    predicate: Predicate | None  # None: the block had errors (reported)
    captured: frozenset[str]  # fields its regex named groups add to the event
    unbounded: frozenset[str]  # ... those of them that can take text of any length
    regexes: tuple[tuple[Path, Regex], ...] = ()  # every regex in the block, with its path


def compile_match(
    block: object, path: Path, lists: Mapping[str, Sequence[object]], report: Report
) -> Match:
    """Compile a rule's `match` block; problems go to `report` with their exact path."""
    compiler = _Compiler(lists, report)
    predicate = compiler.block(block, path)
    return Match(
        predicate,
        frozenset(compiler.captured),
        frozenset(compiler.unbounded),
        tuple(compiler.regexes),
    )
