import re

import pytest

from logsidecar.rules.backtrack import degree, unbounded_groups


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # anchored, every repeat stops at a character it cannot take: linear
        (
            r'^(?P<ip>\S+) \S+ \S+ \[[^\]]*\] "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3})',
            1,
        ),
        (r"^\d{4}-\d\d-\d\d", 1),
        ("ERROR", 1),
        (r"upstream=(?P<upstream>\S+)", 1),  # the match ends after the repeat: it cannot fail late
        (r"(?:ab){3}", 1),
        (r"x(?:\"y\"?|z)?", 1),
        # search tries every start: one degree more
        (r"(?P<n>\d+)x", 2),
        (r"\S+$", 2),
        (r".*ERROR.*", 2),
        (r"a{2,5}b.*", 1),  # a bounded repeat costs a constant
        # repeats that can hand characters to what follows multiply
        (r".*a.*b", 3),
        (r".*a.*b.*c", 4),
        (r"(.*)(.*)(.*)z", 4),
        (r"(?:\d+\.)+x", 3),
        # ambiguous loops: exponential
        (r"(a+)+$", None),
        (r"(a|aa)*b", None),
        (r"(\w*\s?)*", None),
        (r"(?:a{1,3})+", None),
        (r"(a*)*", None),
    ],
)
def test_degree(pattern: str, expected: int | None) -> None:
    assert expected == degree(pattern, re.ASCII)


def test_multiline_caret_does_not_anchor() -> None:
    assert 1 == degree(r"^\d+x")
    assert 2 == degree(r"(?m)^\d+x")


def test_unbounded_groups() -> None:
    assert {"path", "rest"} == unbounded_groups(
        r"(?P<status>\d{3}) (?P<path>\S+) (?P<method>GET|POST)(?P<rest>.*)"
    )
