"""A detector's `condition` applied to a measured value, and the words people read about it.

`Condition` takes the operator and number out of the model once, so the per-group check at every
evaluation is one call. Texts follow the shared design: "count 52 >= 50" when the condition
holds, "count 32, not >= 50" when it does not; numbers with %g, windows as durations ("5m").
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from logsidecar.rules.detectors import Comparison

SYMBOLS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "==", "ne": "!="}
_TESTS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}


def g(number: float) -> str:
    """A number as people read it (%g: 52, 0.07, 2.3, inf)."""
    return f"{number:g}"


def span(seconds: float) -> str:
    """A duration as written in rule files: 5m, 1h30m, 90.5s -> 1m30.5s, 1d."""
    if not math.isfinite(seconds) or seconds < 0:
        return f"{g(seconds)}s"
    parts = []
    rest = seconds
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        whole = int(rest // size)
        if whole:
            parts.append(f"{whole}{unit}")
            rest -= whole * size
    if rest or not parts:
        parts.append(f"{round(rest, 3):g}s")
    return "".join(parts)


class Condition:
    """`condition: {gte: 50}` as a test and a text."""

    __slots__ = ("number", "operator", "symbol", "test")

    def __init__(self, comparison: Comparison) -> None:
        self.operator = comparison.operator
        self.number = comparison.number
        self.symbol = SYMBOLS[self.operator]
        self.test = _TESTS[self.operator]

    def holds(self, value: float) -> bool:
        return self.test(value, self.number)

    def text(self, what: str, value: float, fires: bool, extra: str = "") -> str:
        """E.g. "count 52 >= 50", "ratio 0.03, not > 0.05 (3/100)"."""
        relation = f"{self.symbol} {g(self.number)}"
        said = f"{what} {g(value)} {relation}" if fires else f"{what} {g(value)}, not {relation}"
        return f"{said} ({extra})" if extra else said
