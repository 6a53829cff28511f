"""The engine feeds the detectors' taps: matches per (time, group), values, the last lines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsidecar.logline import LineBatch
from logsidecar.rules.engine import Engine
from logsidecar.rules.load import parse_rule_texts
from logsidecar.rules.ruleset import RuleSet
from logsidecar.rules.taps import Tap, TapBatch

WEB = r"""
version: 1
sources:
  - name: web
    paths: ["/x/*.log"]
    format: regex
    pattern: '^(?P<method>[A-Z]+) (?P<status>\d+)(?: (?P<zone>[a-z]+))?(?: user=(?P<user>\S+))?$'
rules:
  - name: all
    metrics:
      - counter: requests_total
        labels: [method]
  - name: errors
    match: {status: {gte: 500}}
  - name: posts
    match: {method: {eq: POST}}
detectors:
  - {name: ByZone, type: threshold, rule: errors, window: 1m, group_by: [zone],
     condition: {gte: 5}}
  - {name: Users, type: cardinality, rule: all, field: user, group_by: [method], window: 1m,
     condition: {gt: 2}}
  - {name: Quiet, type: absence, rule: all, window: 1m}
  - {name: NewUser, type: new_value, rule: errors, field: user}
  - {name: Share, type: ratio, numerator: errors, denominator: all, window: 1m,
     condition: {gt: 0.5}}
  - {name: Posts, type: threshold, rule: posts, window: 1m, group_by: [method],
     condition: {gt: 5}}
"""
BY_ZONE = Tap("errors", ("zone",))
USERS = Tap("all", ("method",), "user")
ALL = Tap("all")
ERROR_USERS = Tap("errors", (), "user")
ERRORS = Tap("errors")
POSTS = Tap("posts", ("method",))
WEB_LINES = [
    "GET 200 eu user=ann",
    "POST 500 eu user=bob",
    "GET 503 user=ann",
    "garbage",
    "PUT 500 us",
]


def rules(text: str) -> RuleSet:
    return parse_rule_texts([("rules.yaml", text)], "d")


def taps(
    engine: Engine, source: str, lines: list[str], now: float, path: str = "/x/a.log"
) -> dict[Tap, TapBatch]:
    return engine.process(LineBatch(source, path, lines), now).taps


@pytest.mark.parametrize("grouping", [True, False])
def test_regex_counts_values_and_samples_per_group(grouping: bool) -> None:
    engine = Engine(rules(WEB), grouping=grouping)
    assert (engine._plans["web"].grouped is not None) == grouping
    got = taps(engine, "web", WEB_LINES, 100.0)
    assert {BY_ZONE, USERS, ALL, ERROR_USERS, ERRORS, POSTS} == set(got)
    t = 100.0
    assert (
        TapBatch(
            {(t, ("eu",)): 1, (t, ("",)): 1, (t, ("us",)): 1},
            {},
            [(t, ("eu",), WEB_LINES[1]), (t, ("",), WEB_LINES[2]), (t, ("us",), WEB_LINES[4])],
        )
        == got[BY_ZONE]
    )
    assert (
        TapBatch(
            {(t, ("GET",)): 2, (t, ("POST",)): 1, (t, ("PUT",)): 1},
            {(t, ("GET",)): {"ann": 2}, (t, ("POST",)): {"bob": 1}},  # PUT had no user: no value
            # per match: the last 3 of each time and group; grouped: the batch's last 3 (found
            # by a scan from its end)
            [
                (t, ("POST",), WEB_LINES[1]),
                (t, ("GET",), WEB_LINES[2]),
                (t, ("PUT",), WEB_LINES[4]),
            ]
            if grouping
            else [
                (t, ("GET",), WEB_LINES[0]),
                (t, ("GET",), WEB_LINES[2]),
                (t, ("POST",), WEB_LINES[1]),
                (t, ("PUT",), WEB_LINES[4]),
            ],
        )
        == got[USERS]
    )
    last3 = [(t, (), line) for line in (WEB_LINES[1], WEB_LINES[2], WEB_LINES[4])]
    assert TapBatch({(t, ()): 4}, {}, last3) == got[ALL]
    assert TapBatch({(t, ()): 3}, {(t, ()): {"bob": 1, "ann": 1}}, last3) == got[ERROR_USERS]
    assert TapBatch({(t, ()): 3}, {}, last3) == got[ERRORS]  # the ratio's numerator
    assert TapBatch({(t, ("POST",)): 1}, {}, [(t, ("POST",), WEB_LINES[1])]) == got[POSTS]


def test_taps_reading_other_fields_than_the_rules_are_counted_apart() -> None:
    grouped = Engine(rules(WEB))._plans["web"].grouped
    assert grouped is not None
    _, names, apart = grouped
    assert ("method", "status") == names  # what the rules' matches and metrics read
    # a rule's taps that read more are counted by those and its `match` fields; `posts` is not
    assert (("all", ("method", "user")), ("errors", ("status", "user", "zone"))) == apart


def test_ratio_reads_two_taps() -> None:
    engine = Engine(rules(WEB))
    got = taps(engine, "web", ["GET 200", "GET 500", "GET 201"], 7.0)
    assert {(7.0, ()): 1} == got[ERRORS].counts
    assert {(7.0, ()): 3} == got[ALL].counts


def test_a_batch_without_matches_has_no_taps() -> None:
    engine = Engine(rules(WEB))
    assert {} == taps(engine, "web", ["garbage", "more garbage"], 1.0)
    assert (
        {}
        == Engine(rules(WEB.split("detectors:")[0]))
        .process(LineBatch("web", "/x/a.log", WEB_LINES), 1.0)
        .taps
    )


def test_tap_fields_outside_the_pattern_turn_grouping_off() -> None:
    for detector in (
        "{name: L, type: new_value, rule: all, field: line}",
        "{name: G, type: threshold, rule: all, window: 1m, group_by: [line], condition: {gt: 1}}",
    ):
        text = WEB.split("detectors:")[0] + "detectors:\n  - " + detector + "\n"
        assert Engine(rules(text))._plans["web"].grouped is None
    assert Engine(rules(WEB))._plans["web"].grouped is not None


JSON = r"""
version: 1
sources:
  - name: app
    paths: ["/x/*.log"]
    format: json
    timestamp: {field: ts, format: unix}
rules:
  - name: failed
    match: {level: {eq: error}}
detectors:
  - {name: PerUser, type: threshold, rule: failed, window: 1m, group_by: [user],
     condition: {gte: 1}}
  - {name: Silent, type: absence, rule: failed, window: 1m}
  - {name: Codes, type: new_value, rule: failed, field: code}
"""
PER_USER = Tap("failed", ("user",))
FAILED = Tap("failed")
CODES = Tap("failed", (), "code")
JSON_LINES = [
    '{"ts": 1000, "level": "error", "user": "ann", "code": 42}',
    '{"ts": 1000, "level": "error", "code": null}',
    '{"ts": 1001.5, "level": "info", "user": "x"}',
    '{"level": "error", "user": "bob", "code": "E1"}',
    '{"ts": "yesterday", "level": "error", "user": "bob", "code": true}',
    "not json",
]


def test_json_taps_by_event_time() -> None:
    engine = Engine(rules(JSON), event_time=True)
    obs = engine.process(LineBatch("app", "/x/a.log", JSON_LINES), 2000.0)
    assert {"app": 1} == obs.timestamp_errors
    got = obs.taps
    # no timestamp, or one that does not parse: the arrival time
    assert {(1000.0, ("ann",)): 1, (1000.0, ("",)): 1, (2000.0, ("bob",)): 2} == got[
        PER_USER
    ].counts
    assert {(1000.0, ()): 2, (2000.0, ()): 2} == got[FAILED].counts
    assert [  # the last 3 of each time
        (1000.0, (), JSON_LINES[0]),
        (1000.0, (), JSON_LINES[1]),
        (2000.0, (), JSON_LINES[3]),
        (2000.0, (), JSON_LINES[4]),
    ] == got[FAILED].samples
    assert (
        TapBatch(
            {(1000.0, ()): 2, (2000.0, ()): 2},
            {(1000.0, ()): {"42": 1}, (2000.0, ()): {"E1": 1, "true": 1}},  # null is no value
            got[FAILED].samples,
        )
        == got[CODES]
    )


def test_json_taps_by_arrival_time() -> None:
    got = taps(Engine(rules(JSON)), "app", JSON_LINES, 2000.0)
    assert {(2000.0, ("ann",)): 1, (2000.0, ("",)): 1, (2000.0, ("bob",)): 2} == got[
        PER_USER
    ].counts
    now3 = [(2000.0, (), line) for line in JSON_LINES[1:2] + JSON_LINES[3:5]]
    assert TapBatch({(2000.0, ()): 4}, {}, now3) == got[FAILED]
    assert {(2000.0, ()): {"42": 1, "E1": 1, "true": 1}} == got[CODES].values


def test_event_time_on_a_source_without_timestamps_is_the_arrival_time() -> None:
    text = JSON.replace("    timestamp: {field: ts, format: unix}\n", "")
    on = taps(Engine(rules(text), event_time=True), "app", JSON_LINES, 2000.0)
    off = taps(Engine(rules(text)), "app", JSON_LINES, 2000.0)
    assert {(2000.0, ()): 4} == on[FAILED].counts
    assert on == off


def test_logfmt_values_and_a_missing_group_field() -> None:
    text = r"""
version: 1
sources:
  - {name: lf, paths: ["/x/*.log"], format: logfmt}
rules:
  - name: slow
    match: {took: {gt: 1}}
detectors:
  - {name: Slowest, type: threshold, rule: slow, window: 1m, group_by: [user],
     aggregate: max, field: took, condition: {gt: 2}}
"""
    lines = [
        "level=warn user=ann took=1.5",
        'user="bob smith" took=2',
        "took=3 debug",
        "user=ann took=0.5",
        "user=ann took=1.5",
    ]
    got = taps(Engine(rules(text)), "lf", lines, 5.0)
    tap = Tap("slow", ("user",), "took")
    assert (
        TapBatch(
            {(5.0, ("ann",)): 2, (5.0, ("bob smith",)): 1, (5.0, ("",)): 1},
            {(5.0, ("ann",)): {"1.5": 2}, (5.0, ("bob smith",)): {"2": 1}, (5.0, ("",)): {"3": 1}},
            [
                (5.0, ("ann",), lines[0]),
                (5.0, ("ann",), lines[4]),
                (5.0, ("bob smith",), lines[1]),
                (5.0, ("",), lines[2]),
            ],
        )
        == got[tap]
    )


MULTILINE = r"""
version: 1
sources:
  - name: py
    paths: ["/x/*.log"]
    multiline: {start: '^\d{4}-', max_lines: 5, timeout: 2s}
rules:
  - name: tracebacks
    match: {line: {regex: '\n(?P<exc>[A-Za-z.]+Error):'}}
detectors:
  - {name: PerClass, type: threshold, rule: tracebacks, window: 1m, group_by: [exc],
     condition: {gte: 3}}
  - {name: NewClass, type: new_value, rule: tracebacks, field: exc}
"""


def test_multiline_taps_see_joined_events_also_when_flushed() -> None:
    engine = Engine(rules(MULTILINE))
    per_class, new_class = Tap("tracebacks", ("exc",)), Tap("tracebacks", (), "exc")
    first = ["2026-01-01 ERROR boom", "Traceback (most recent call last):", "ValueError: bad"]
    got = taps(engine, "py", [*first, "2026-01-01 ERROR again", "Traceback:"], 10.0)
    joined = "\n".join(first)
    assert (
        TapBatch({(10.0, ("ValueError",)): 1}, {}, [(10.0, ("ValueError",), joined)])
        == got[per_class]
    )
    assert {(10.0, ()): {"ValueError": 1}} == got[new_class].values
    assert {} == taps(engine, "py", ["KeyError: x"], 11.0)  # still pending
    assert {} == engine.flush(12.0).taps  # quiet for 1s only
    flushed = engine.flush(13.5).taps
    again = "2026-01-01 ERROR again\nTraceback:\nKeyError: x"
    assert (
        TapBatch({(13.5, ("KeyError",)): 1}, {}, [(13.5, ("KeyError",), again)])
        == flushed[per_class]
    )


RAW = r"""
version: 1
sources:
  - {name: raw, paths: ["/x/*.log"]}
rules:
  - name: any
detectors:
  - {name: Quiet, type: absence, rule: any, window: 1m}
  - {name: NewLine, type: new_value, rule: any, field: line}
"""


def test_samples_are_the_last_three_matches_cut_to_512_bytes() -> None:
    lines = [f"{i}" + "é" * 400 for i in range(5)]
    got = taps(Engine(rules(RAW)), "raw", lines, 1.0)
    expected = [(1.0, (), f"{i}" + "é" * 255) for i in (2, 3, 4)]  # 1 + 2 * 255 = 511 bytes
    assert expected == got[Tap("any")].samples  # counted: found by a scan from the end
    assert expected == got[Tap("any", (), "line")].samples  # fed per match
    assert {(1.0, ()): {line: 1 for line in lines}} == got[Tap("any", (), "line")].values


def test_the_sample_scan_of_a_counted_tap_is_bounded() -> None:
    text = RAW.replace("  - name: any\n", "  - name: any\n    match: {line: {eq: first}}\n")
    lines = ["first"] + ["other"] * 250
    got = taps(Engine(rules(text)), "raw", lines, 1.0)
    assert TapBatch({(1.0, ()): 1}, {}, []) == got[Tap("any")]  # 250 lines after it: not seen
    assert [(1.0, (), "first")] == got[Tap("any", (), "line")].samples


def test_a_tap_of_a_rule_of_two_sources_adds_up_in_a_flush() -> None:
    text = r"""
version: 1
sources:
  - {name: a, paths: ["/a/*.log"], multiline: {start: '^S', max_lines: 5, timeout: 1s}}
  - {name: b, paths: ["/b/*.log"], multiline: {start: '^S', max_lines: 5, timeout: 1s}}
rules:
  - name: any
detectors:
  - {name: Quiet, type: absence, rule: any, window: 1m}
"""
    engine = Engine(rules(text))
    taps(engine, "a", ["S a1"], 1.0, "/a/1.log")
    taps(engine, "b", ["S b1"], 1.0, "/b/1.log")
    flushed = engine.flush(5.0).taps
    assert (
        TapBatch({(5.0, ()): 2}, {}, [(5.0, (), "S a1"), (5.0, (), "S b1")]) == flushed[Tap("any")]
    )


# random lines of the WEB source: the grouped path and the per-event path feed equal taps, and
# a counted tap (no group, no field) equals a tap fed per match on the same rule
line = st.builds(
    lambda m, s, z, u: f"{m} {s}" + (f" {z}" if z else "") + (f" user={u}" if u else ""),
    st.sampled_from(["GET", "POST", "get"]),
    st.sampled_from(["200", "500", "503", "x"]),
    st.sampled_from([None, "eu", "us"]),
    st.sampled_from([None, "ann", "bob"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(line, max_size=40), max_size=5))
def test_grouped_equals_one_event_at_a_time(batches: list[list[str]]) -> None:
    grouped, single = Engine(rules(WEB)), Engine(rules(WEB), grouping=False)
    assert grouped._plans["web"].grouped is not None
    assert single._plans["web"].grouped is None
    for i, lines in enumerate(batches):
        a = taps(grouped, "web", lines, float(i))
        b = taps(single, "web", lines, float(i))
        # the same counts and values; the grouped path's samples (the batch's last matches,
        # found from its end) are among the per-match ones (the last of each group)
        assert {k: (v.counts, v.values) for k, v in a.items()} == {
            k: (v.counts, v.values) for k, v in b.items()
        }
        for tap, batch in a.items():
            assert set(batch.samples) <= set(b[tap].samples)
            assert len(batch.samples) == min(3, sum(batch.counts.values()))
        if ERRORS in b:  # counted, and fed per match (with the field)
            assert b[ERRORS].counts == b[ERROR_USERS].counts
            assert b[ERRORS].samples == b[ERROR_USERS].samples
        else:
            assert ERROR_USERS not in b


json_line = st.builds(
    lambda level, user, ts: (
        "{"
        + ", ".join(
            [f'"level": "{level}"']
            + ([f'"user": "{user}"'] if user else [])
            + ([f'"ts": {ts}'] if ts else [])
        )
        + "}"
    ),
    st.sampled_from(["error", "info"]),
    st.sampled_from([None, "ann", "bob"]),
    st.sampled_from([None, None, "42"]),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(json_line, max_size=40))
def test_the_counted_tap_equals_the_tap_fed_per_match(lines: list[str]) -> None:
    """Without `event_time`, FAILED is read from the match count; with it (the source has
    timestamps) it is fed per match. Lines without a timestamp are at `now` either way."""
    now = 42.0  # so a "ts": 42 is the same time as the arrival
    by_arrival = taps(Engine(rules(JSON)), "app", lines, now)
    by_event = taps(Engine(rules(JSON), event_time=True), "app", lines, now)
    assert by_arrival == by_event
