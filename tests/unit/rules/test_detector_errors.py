"""Detector errors about one key or value (missing, unknown, of the wrong type or range), one
case per rule of the contract, at the exact FILE:LINE:COL of the offending key or value."""

from pathlib import Path

import pytest

from logsidecar.rules.load import load_rules
from tests.unit.rules.detector_base import (
    BASE,
    COMPARISON,
    NOT_A_DURATION,
    TYPES,
    check,
    drop,
    edit,
)

# (detector, (old, new), expected)
CASES = {
    "missing window": (
        "Burst",
        drop("window: 5m"),
        "13:5: detector 'Burst': missing required key 'window'",
    ),
    "missing baseline": (
        "Jump",
        drop("baseline: 1h"),
        "38:5: detector 'Jump': missing required key 'baseline'",
    ),
    "missing threshold": (
        "Surge",
        drop("threshold: 10"),
        "69:5: detector 'Surge': missing required key 'threshold'",
    ),
    "missing numerator": (
        "Share",
        drop("numerator: errors"),
        "31:5: detector 'Share': missing required key 'numerator'",
    ),
    "missing denominator": (
        "Share",
        drop("denominator: all"),
        "31:5: detector 'Share': missing required key 'denominator'",
    ),
    "missing condition": (
        "Users",
        drop("condition: {gt: 20}"),
        "57:5: detector 'Users': missing required key 'condition'",
    ),
    "missing field": (
        "NewUser",
        drop("field: user"),
        "51:5: detector 'NewUser': missing required key 'field'",
    ),
    "missing rule": (
        "Quiet",
        drop("rule: all"),
        "47:5: detector 'Quiet': missing required key 'rule'",
    ),
    "missing source": (
        "NewKind",
        drop("source: app"),
        "63:5: detector 'NewKind': missing required key 'source'",
    ),
    "missing type": (
        "Quiet",
        drop("type: absence"),
        f"47:5: detector 'Quiet': missing required key 'type' (one of: {TYPES})",
    ),
    "unknown type": (
        "Quiet",
        ("type: absence", "type: absent"),
        f"48:11: detector 'Quiet': unknown detector type 'absent' (one of: {TYPES})",
    ),
    "unknown aggregate": (
        "Slow",
        ("aggregate: avg", "aggregate: p99"),
        "28:16: detector 'Slow': Input should be 'count', 'sum', 'avg', 'max' or 'min'",
    ),
    "unknown method": (
        "Jump",
        ("method: zscore", "method: mad"),
        "44:13: detector 'Jump': Input should be 'ratio', 'zscore' or 'ewma'",
    ),
    "unknown direction": (
        "Surge",
        ("direction: both", "direction: sideways"),
        "76:16: detector 'Surge': Input should be 'up', 'down' or 'both'",
    ),
    "bad window": (
        "Quiet",
        ("window: 3m", "window: 3 minutes"),
        f"50:13: detector 'Quiet': not a duration: '3 minutes' {NOT_A_DURATION}",
    ),
    "zero window": (
        "Quiet",
        ("window: 3m", "window: 0s"),
        "50:13: detector 'Quiet': `window` must be longer than 0",
    ),
    "bad template window": (
        "NewKind",
        ("window: 10m", "window: ten"),
        f"68:13: detector 'NewKind': not a duration: 'ten' {NOT_A_DURATION}",
    ),
    "bad baseline": (
        "Surge",
        ("baseline: 1h", "baseline: 1 hour"),
        f"73:15: detector 'Surge': not a duration: '1 hour' {NOT_A_DURATION}",
    ),
    "bad for": (
        "Burst",
        ("for: 1m", "for: soon"),
        f"19:10: detector 'Burst': not a duration: 'soon' {NOT_A_DURATION}",
    ),
    "bad keep_firing_for": (
        "Burst",
        ("keep_firing_for: 5m", "keep_firing_for: -5"),
        "20:22: detector 'Burst': a duration cannot be negative: -5",
    ),
    "bad learn_for": (
        "NewUser",
        ("learn_for: 30m", "learn_for: 30 min"),
        f"55:16: detector 'NewUser': not a duration: '30 min' {NOT_A_DURATION}",
    ),
    "group_by on a type without groups": (
        "NewUser",
        ("    field: user\n", "    field: user\n    group_by: [user]\n"),
        "55:5: detector 'NewUser': unknown key 'group_by'",
    ),
    "max_groups zero": (
        "Burst",
        ("max_groups: 100", "max_groups: 0"),
        "23:17: detector 'Burst': Input should be greater than or equal to 1",
    ),
    "max_tracked zero": (
        "NewUser",
        ("max_tracked: 1000", "max_tracked: 0"),
        "56:18: detector 'NewUser': Input should be greater than or equal to 1",
    ),
    "max_tracked not an int": (
        "NewUser",
        ("max_tracked: 1000", "max_tracked: 1.5"),
        "56:18: detector 'NewUser': Input should be a valid integer",
    ),
    "min_count zero": (
        "NewKind",
        ("min_count: 3", "min_count: 0"),
        "67:16: detector 'NewKind': Input should be greater than or equal to 1",
    ),
    "negative min_current": (
        "Jump",
        ("min_current: 5", "min_current: -1"),
        "46:18: detector 'Jump': Input should be greater than or equal to 0",
    ),
    "min_current not a number": (
        "Surge",
        ("min_current: 20", "min_current: many"),
        "77:18: detector 'Surge': Input should be a valid number",
    ),
    "negative min_denominator": (
        "Share",
        ("min_denominator: 10", "min_denominator: -10"),
        "36:22: detector 'Share': Input should be greater than or equal to 0",
    ),
    "zero threshold": (
        "Jump",
        ("threshold: 4", "threshold: 0"),
        "43:16: detector 'Jump': Input should be greater than 0",
    ),
    "threshold a string": (
        "Jump",
        ("threshold: 4", "threshold: '4'"),
        "43:16: detector 'Jump': Input should be a valid number",
    ),
    "condition not a mapping": (
        "Users",
        ("{gt: 20}", "20"),
        f"62:16: detector 'Users': {COMPARISON}",
    ),
    "condition empty": ("Users", ("{gt: 20}", "{}"), f"62:16: detector 'Users': {COMPARISON}"),
    "condition of two comparisons": (
        "Users",
        ("{gt: 20}", "{gt: 20, lt: 50}"),
        f"62:16: detector 'Users': {COMPARISON}",
    ),
    "condition unknown operator": (
        "Users",
        ("{gt: 20}", "{between: 20}"),
        "62:17: detector 'Users': unknown operator 'between' (one of: gt, gte, lt, lte, eq, ne)",
    ),
    "condition not a number": (
        "Users",
        ("{gt: 20}", "{gt: lots}"),
        "62:21: detector 'Users': Input should be a valid number",
    ),
    "condition a bool": (
        "Users",
        ("{gt: 20}", "{gt: true}"),
        "62:21: detector 'Users': Input should be a valid number",
    ),
    "key of another type": (
        "Quiet",
        ("    window: 3m\n", "    window: 3m\n    condition: {gt: 1}\n"),
        "51:5: detector 'Quiet': unknown key 'condition'",
    ),
    "key named like the type": (
        "Burst",
        ("    rule: errors\n", "    rule: errors\n    threshold: 4\n"),
        "16:5: detector 'Burst': unknown key 'threshold'",
    ),
}


def test_the_base_file_is_clean(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(BASE)
    ruleset = load_rules(tmp_path / "rules.yaml")
    warned = [(w.item, "not evaluated yet" in w.message) for w in ruleset.warnings]
    assert ([("detector 'NewKind'", True), ("detector 'Surge'", True)], 9) == (
        warned,
        len(ruleset.detectors),
    )


@pytest.mark.parametrize("kind", CASES)
def test_each_detector_error_points_at_the_offending_key_or_value(
    tmp_path: Path, kind: str
) -> None:
    detector, (old, new), expected = CASES[kind]
    assert [f"rules.yaml:{expected}"] == check(tmp_path, edit(BASE, detector, old, new))


def test_an_unknown_type_is_one_error_whatever_else_is_wrong(tmp_path: Path) -> None:
    text = edit(BASE, "Quiet", "type: absence", "type: absent")
    text = edit(text, "Quiet", "rule: all", "rule: nope")
    text = edit(text, "Quiet", "window: 3m", "window: never\n    labels: {1x: 2}")
    assert [
        f"rules.yaml:48:11: detector 'Quiet': unknown detector type 'absent' (one of: {TYPES})"
    ] == check(tmp_path, text)


def test_a_key_named_like_the_type_does_not_move_the_missing_key_error(tmp_path: Path) -> None:
    text = edit(BASE, "Burst", "    window: 5m\n", "    threshold: 4\n")
    assert [
        "rules.yaml:13:5: detector 'Burst': missing required key 'window'",
        "rules.yaml:16:5: detector 'Burst': unknown key 'threshold'",
    ] == check(tmp_path, text)
