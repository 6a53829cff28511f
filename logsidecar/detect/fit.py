"""Checks for restoring a measure from a checkpoint: each value has the shape `to_state` writes,
else KeyError (a key is missing), TypeError (wrong JSON type) or ValueError (wrong meaning), so
the committer can set a misfit file aside instead of running on half-restored state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Labels = tuple[str, ...]


def as_mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping, got {type(value).__name__}")
    return value


def as_list(value: Any, length: int | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise ValueError(f"expected {length} items, got {len(value)}")
    return value


def as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def as_count(value: Any) -> int:
    number = as_int(value)
    if number < 0:
        raise ValueError(f"expected a count, got {number}")
    return number


def as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def as_labels(value: Any, width: int) -> Labels:
    items = as_list(value, width)
    return tuple(as_str(item) for item in items)


def check_kind(state: Mapping[str, Any], kind: str) -> None:
    if state["kind"] != kind:
        raise ValueError(f"state of a {state['kind']!r} measure, not {kind!r}")


def check_time(value: Any, latest: float) -> float:
    """A time the measure has seen: not after its newest time."""
    time = as_float(value)
    if time > latest:
        raise ValueError(f"time {time} after the newest time {latest}")
    return time
