"""Rotated names and their order (pure)."""

import pytest

from logsidecar.tail.generations import (
    Generation,
    RotatedName,
    newer_than,
    oldest_first,
    rotated_name,
)
from logsidecar.tail.identity import FileId


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app.log.1", RotatedName("numbered", (1,), False)),
        ("app.log.12.gz", RotatedName("numbered", (12,), True)),
        ("app.log-20260102", RotatedName("dated", (20260102,), False)),
        ("app.log-2026-01-02.gz", RotatedName("dated", (2026, 1, 2), True)),
        ("app.log-20260102-1767312000", RotatedName("dated", (20260102, 1767312000), False)),
        ("app.log-20260102.1", RotatedName("dated", (20260102,), False)),
        ("app.log.20260102-150405", RotatedName("dated", (20260102, 150405), False)),
        ("app.log", None),
        ("app.log.bak", None),
        ("app.log.1.bz2", None),  # compressed, but not a way we can read
        ("app.logger.1", None),
        ("other.log.1", None),
    ],
)
def test_rotated_names_of_app_log(name: str, expected: RotatedName | None) -> None:
    assert expected == rotated_name("app.log", name)


def gen(name: str, mtime: int) -> Generation:
    rotated = rotated_name("app.log", name)
    assert rotated is not None
    return Generation(name, rotated, mtime, FileId(1, mtime), 1)


def test_order_by_name_first_then_mtime() -> None:
    gens = [gen("app.log.1", 1), gen("app.log.3.gz", 9), gen("app.log.2", 5)]
    assert ["app.log.3.gz", "app.log.2", "app.log.1"] == [g.path for g in oldest_first(gens)]
    dated = [gen("app.log-20260103", 1), gen("app.log-20260101", 3), gen("app.log-20260101.1", 4)]
    assert ["app.log-20260101", "app.log-20260101.1", "app.log-20260103"] == [
        g.path for g in oldest_first(dated)
    ]
    assert newer_than(gen("app.log.1", 0), gen("app.log.2", 10))
    assert not newer_than(gen("app.log.2", 10), gen("app.log.2", 10))  # itself: not newer
    assert newer_than(gen("app.log-20260101", 7), gen("app.log.1", 6))  # two schemes: mtime
