"""Detector errors, one case per rule of the contract, at the exact FILE:LINE:COL of the
offending key or value, with the detector's name; and all of them at once."""

from pathlib import Path

import pytest

from logsidecar.errors import RuleError
from logsidecar.rules.load import load_rules

BASE = r"""version: 1
sources:
  - name: app
    paths: ["/var/log/app/*.log"]
    format: regex
    pattern: '^(?P<status>\d+) (?P<user>\S+) (?P<took>[\d.]+)'
rules:
  - name: errors
    source: app
  - name: all
    source: app
detectors:
  - name: Burst
    type: threshold
    rule: errors
    window: 5m
    group_by: [user]
    condition: {gte: 10}
    for: 1m
    keep_firing_for: 5m
    labels: {severity: page}
    annotations: {summary: "{{ value }} by {{ labels.user }} ({{ labels.severity }})"}
    max_groups: 100
  - name: Slow
    type: threshold
    rule: errors
    window: 1m
    aggregate: avg
    field: took
    condition: {gt: 2}
  - name: Share
    type: ratio
    numerator: errors
    denominator: all
    window: 5m
    min_denominator: 10
    condition: {gt: 0.05}
  - name: Jump
    type: spike
    rule: errors
    window: 1m
    baseline: 1h
    threshold: 4
    method: zscore
    direction: up
    min_current: 5
  - name: Quiet
    type: absence
    rule: all
    window: 3m
  - name: NewUser
    type: new_value
    rule: all
    field: user
    learn_for: 30m
    max_tracked: 1000
  - name: Users
    type: cardinality
    rule: errors
    field: user
    window: 10m
    condition: {gt: 20}
  - name: NewKind
    type: new_template
    source: app
    learn_for: 1h
    min_count: 3
    window: 10m
  - name: Surge
    type: template_rate
    source: app
    window: 5m
    baseline: 1h
    threshold: 10
    method: ratio
    direction: both
    min_current: 20
"""
TYPES = "threshold, ratio, spike, absence, new_value, cardinality, new_template, template_rate"
COMPARISON = (
    "`condition` is one comparison with a number, e.g. {gt: 20} "
    "(operators: gt, gte, lt, lte, eq, ne)"
)
NOT_A_DURATION = "(write e.g. 30s, 5m, 1h30m)"


def edit(text: str, detector: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new` inside one detector's block (where it occurs once)."""
    start = text.index(f"  - name: {detector}\n")
    end = text.find("  - name: ", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    assert 1 == block.count(old), (detector, old)
    return text[:start] + block.replace(old, new) + text[end:]


def check(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RuleError) as caught:
        load_rules(path)
    return [str(p).removeprefix(str(tmp_path) + "/") for p in caught.value.problems]


def drop(line: str) -> tuple[str, str]:
    return (f"    {line}\n", "")


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
    "baseline not longer than window": (
        "Jump",
        ("baseline: 1h", "baseline: 30s"),
        "42:15: detector 'Jump': `baseline` (30s) must be longer than `window` (1m)",
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
    "group_by on a type without groups": (
        "NewUser",
        ("    field: user\n", "    field: user\n    group_by: [user]\n"),
        "55:5: detector 'NewUser': unknown key 'group_by'",
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
    assert ((), 9) == (ruleset.warnings, len(ruleset.detectors))


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
