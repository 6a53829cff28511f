"""Detector errors about what keys mean together and against the rest of the rule set
(references, labels, placeholders, aggregate and field, baseline and window), one case per
rule, at the exact FILE:LINE:COL; and every problem of every detector at once."""

from pathlib import Path

import pytest

from tests.unit.rules.detector_base import (
    BASE,
    NOT_A_DURATION,
    TYPES,
    check,
    drop,
    edit,
)

# (detector, (old, new), expected)
CASES = {
    "aggregate without field": (
        "Slow",
        drop("field: took"),
        "28:16: detector 'Slow': aggregate 'avg' needs `field`: the numeric field to aggregate",
    ),
    "field with count": (
        "Slow",
        ("aggregate: avg", "aggregate: count"),
        "29:5: detector 'Slow': `field` is only used with aggregate sum, avg, max or min (not count)",
    ),
    "baseline not longer than window": (
        "Jump",
        ("baseline: 1h", "baseline: 30s"),
        "42:15: detector 'Jump': `baseline` (30s) must be longer than `window` (1m)",
    ),
    "invalid label name": (
        "Burst",
        ("{severity: page}", "{severity: page, 1x: a}"),
        "21:30: detector 'Burst': invalid label name '1x'",
    ),
    "label name not a string": (
        "Burst",
        ("{severity: page}", "{severity: page, 1: a}"),
        "21:30: detector 'Burst': Input should be a valid string",
    ),
    "label value not a string": (
        "Burst",
        ("{severity: page}", "{severity: 1}"),
        "21:24: detector 'Burst': Input should be a valid string",
    ),
    "reserved label": (
        "Burst",
        ("{severity: page}", "{severity: page, state: a}"),
        "21:30: detector 'Burst': label 'state' is reserved: the anomaly series has it already",
    ),
    "label also grouped": (
        "Burst",
        ("{severity: page}", "{severity: page, user: a}"),
        "21:30: detector 'Burst': label 'user' is also a group_by label: it would be set twice",
    ),
    "invalid group_by label": (
        "Burst",
        ("[user]", "[user, 1x]"),
        "17:22: detector 'Burst': invalid label name '1x'",
    ),
    "duplicate group_by label": (
        "Burst",
        ("[user]", "[user, user]"),
        "17:22: detector 'Burst': duplicate label 'user' in group_by",
    ),
    "annotation not a string": (
        "Burst",
        ('{summary: "{{ value }} by {{ labels.user }} ({{ labels.severity }})"}', "{summary: 5}"),
        "22:28: detector 'Burst': Input should be a valid string",
    ),
    "unknown placeholder": (
        "Burst",
        ("{{ value }} by", "{{ val }} by"),
        "22:28: detector 'Burst': unknown placeholder '{{ val }}' (use {{ value }} or {{ labels.NAME }})",
    ),
    "placeholder of an unknown label": (
        "Burst",
        ("{{ labels.user }}", "{{ labels.host }}"),
        "22:28: detector 'Burst': placeholder '{{ labels.host }}': 'host' is neither a group_by label nor a static label (known: severity, user)",
    ),
    "unclosed placeholder": (
        "Burst",
        ("{{ labels.severity }}", "{{ labels.severity"),
        "22:28: detector 'Burst': a placeholder opened with {{ is not closed with }}",
    ),
    "unknown rule": (
        "Jump",
        ("rule: errors", "rule: nope"),
        "40:11: detector 'Jump': unknown rule 'nope'",
    ),
    "unknown numerator": (
        "Share",
        ("numerator: errors", "numerator: nope"),
        "33:16: detector 'Share': unknown rule 'nope'",
    ),
    "unknown denominator": (
        "Share",
        ("denominator: all", "denominator: nope"),
        "34:18: detector 'Share': unknown rule 'nope'",
    ),
    "unknown source": (
        "Surge",
        ("source: app", "source: web"),
        "71:13: detector 'Surge': unknown source 'web'",
    ),
}


@pytest.mark.parametrize("kind", CASES)
def test_each_detector_meaning_error_points_at_the_offending_key_or_value(
    tmp_path: Path, kind: str
) -> None:
    detector, (old, new), expected = CASES[kind]
    assert [f"rules.yaml:{expected}"] == check(tmp_path, edit(BASE, detector, old, new))


def test_every_problem_of_every_detector_at_once_in_position_order(tmp_path: Path) -> None:
    text = BASE
    for detector, old, new in [
        ("Burst", "window: 5m", "window: 5 minutes"),
        ("Burst", "{{ labels.user }}", "{{ labels.host }}"),
        ("Slow", "    field: took\n", ""),
        ("Share", "numerator: errors", "numerator: nope"),
        ("Share", "{gt: 0.05}", "{above: 0.05}"),
        ("Jump", "method: zscore", "method: mad"),
        ("Jump", "direction: up", "direction: sideways"),
        ("Quiet", "    rule: all\n", ""),
        ("NewUser", "max_tracked: 1000", "max_tracked: 0"),
        ("Users", "type: cardinality", "type: distinct"),
        ("NewKind", "source: app", "source: web"),
        ("Surge", "baseline: 1h", "baseline: 5m"),
    ]:
        text = edit(text, detector, old, new)
    assert [
        f"rules.yaml:16:13: detector 'Burst': not a duration: '5 minutes' {NOT_A_DURATION}",
        "rules.yaml:22:28: detector 'Burst': placeholder '{{ labels.host }}': 'host' is neither a group_by label nor a static label (known: severity, user)",
        "rules.yaml:28:16: detector 'Slow': aggregate 'avg' needs `field`: the numeric field to aggregate",
        "rules.yaml:32:16: detector 'Share': unknown rule 'nope'",
        "rules.yaml:36:17: detector 'Share': unknown operator 'above' (one of: gt, gte, lt, lte, eq, ne)",
        "rules.yaml:43:13: detector 'Jump': Input should be 'ratio', 'zscore' or 'ewma'",
        "rules.yaml:44:16: detector 'Jump': Input should be 'up', 'down' or 'both'",
        "rules.yaml:46:5: detector 'Quiet': missing required key 'rule'",
        "rules.yaml:54:18: detector 'NewUser': Input should be greater than or equal to 1",
        f"rules.yaml:56:11: detector 'Users': unknown detector type 'distinct' (one of: {TYPES})",
        "rules.yaml:63:13: detector 'NewKind': unknown source 'web'",
        "rules.yaml:71:15: detector 'Surge': `baseline` (5m) must be longer than `window` (5m)",
    ] == check(tmp_path, text)
