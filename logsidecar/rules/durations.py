"""Durations as operators write them: `90s`, `5m`, `1h30m`, `250ms`, or a number of seconds."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: object) -> float:
    """Seconds in `value`; raises ValueError with a message fit for an operator."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {value!r}")
        return float(value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a duration: {value!r} (write e.g. 30s, 5m, 1h30m)")
    pos = 0
    total = 0.0
    for m in _PART.finditer(value):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(value):
        raise ValueError(f"not a duration: {value!r} (write e.g. 30s, 5m, 1h30m)")
    return total


Duration = Annotated[float, BeforeValidator(parse_duration)]
