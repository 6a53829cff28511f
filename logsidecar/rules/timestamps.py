"""Event time from a field: `rfc3339`, `unix`, `unix_ms`, `unix_us`, `unix_ns`, or strptime.

Times without a zone are taken as UTC. A parser returns seconds since the epoch, or None when the
value is not a time in that format (the caller counts it and uses the arrival time instead).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from logsidecar.rules.conditions import as_number

TimeParser = Callable[[object], float | None]
_SCALES = {"unix": 1.0, "unix_ms": 1e3, "unix_us": 1e6, "unix_ns": 1e9}
FORMATS = ("rfc3339", *_SCALES)


def format_problem(fmt: str) -> str | None:
    """Why `fmt` is not a usable timestamp format, or None when it is."""
    if fmt in FORMATS:
        return None
    if "%" not in fmt:
        return (
            f"unknown timestamp format {fmt!r} (one of: {', '.join(FORMATS)}, or a strptime format)"
        )
    sample = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    try:
        datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        return f"strptime format {fmt!r} does not read back what it writes: {exc}"
    return None


def _seconds(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _rfc3339(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return _seconds(datetime.fromisoformat(value))
    except ValueError:
        return None


def _unix(scale: float) -> TimeParser:
    def parse(value: object) -> float | None:
        number = as_number(value)
        return None if number is None else number / scale

    return parse


def _strptime(fmt: str) -> TimeParser:
    last: list[object] = [None, None]  # consecutive lines often carry the same second

    def parse(value: object) -> float | None:
        if value == last[0]:
            return last[1]  # type: ignore[return-value]
        if not isinstance(value, str):
            return None
        try:
            seconds = _seconds(datetime.strptime(value, fmt))
        except ValueError:
            return None
        last[0], last[1] = value, seconds
        return seconds

    return parse


def make_time_parser(fmt: str) -> TimeParser:
    """The parser for a format `format_problem` accepted."""
    if fmt == "rfc3339":
        return _rfc3339
    if fmt in _SCALES:
        return _unix(_SCALES[fmt])
    return _strptime(fmt)
