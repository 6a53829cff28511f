from typing import Any

import pytest

from logsidecar.rules.conditions import Path, compile_match

LISTS = {"health": ["/healthz", "/readyz"], "codes": [500, 503]}


def matches(block: dict[str, Any], event: dict[str, Any]) -> bool:
    problems: list[str] = []

    def report(path: Path, message: str, at_key: bool) -> None:
        problems.append(message)

    predicate = compile_match(block, ("match",), LISTS, report).predicate
    assert [] == problems
    assert predicate is not None
    return predicate(event)


@pytest.mark.parametrize(
    ("block", "event", "expected"),
    [
        ({"status": {"eq": 404}}, {"status": "404"}, True),
        ({"status": {"eq": 404}}, {"status": 404}, True),
        ({"status": {"eq": "404"}}, {"status": 404.0}, True),
        ({"status": {"gte": 500}}, {"status": "503"}, True),
        ({"status": {"gte": 500}}, {"status": "499"}, False),
        ({"status": {"lt": 10}}, {"status": "9"}, True),  # numbers, not "9" < "10" as text
        ({"level": {"eq": "ERROR"}}, {"level": "ERROR"}, True),
        ({"level": {"ne": "ERROR"}}, {"level": "INFO"}, True),
        ({"path": {"in": "$health"}}, {"path": "/healthz"}, True),
        ({"path": {"not_in": "$health"}}, {"path": "/healthz"}, False),
        ({"status": {"in": "$codes"}}, {"status": "503"}, True),
        ({"msg": {"contains": "time"}}, {"msg": "a timeout"}, True),
        ({"msg": {"startswith": "a t"}}, {"msg": "a timeout"}, True),
        ({"msg": {"endswith": "out"}}, {"msg": "a timeout"}, True),
        ({"msg": {"exists": True}}, {"msg": ""}, True),
        ({"msg": {"exists": False}}, {}, True),
        ({"msg": {"eq": "x"}}, {}, False),  # a missing field fails every test
        ({"msg": {"ne": "x"}}, {}, False),
        ({"flag": {"eq": True}}, {"flag": True}, True),
        ({"flag": {"eq": True}}, {"flag": "true"}, True),
        ({"status": 200}, {"status": "200"}, True),  # a bare value means eq
        ({"any": [{"a": 1}, {"b": 2}]}, {"b": "2"}, True),
        ({"any": [{"a": 1}, {"b": 2}]}, {"b": "3"}, False),
        ({"not": {"a": 1}}, {"a": "1"}, False),
        ({"a": 1, "not": {"any": [{"b": 1}, {"b": 2}]}}, {"a": 1, "b": 3}, True),
    ],
)
def test_operators(block: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert expected == matches(block, event)


def test_regex_named_groups_become_fields() -> None:
    event = {"line": "GET /x upstream=billing"}
    assert matches({"line": {"regex": r"upstream=(?P<upstream>\S+)"}}, event)
    assert "billing" == event["upstream"]


def test_fields_captured_first_can_be_tested_next() -> None:
    block = {"line": {"regex": r"took=(?P<ms>\d+)"}, "ms": {"gt": 100}}
    assert matches(block, {"line": "took=250"})
    assert not matches(block, {"line": "took=99"})


def test_problems_carry_their_exact_paths() -> None:
    found: list[tuple[Path, str, bool]] = []
    compile_match(
        {"a": {"between": 1}, "b": {"in": "$nope"}, "c": {"regex": "("}, "any": {}},
        ("rules", 0, "match"),
        LISTS,
        lambda path, message, at_key: found.append((path, message.split(" ")[0], at_key)),
    )
    assert [
        (("rules", 0, "match", "a", "between"), "unknown", True),
        (("rules", 0, "match", "b", "in"), "unknown", False),
        (("rules", 0, "match", "c", "regex"), "invalid", False),
        (("rules", 0, "match", "any"), "`any`", False),
    ] == found
