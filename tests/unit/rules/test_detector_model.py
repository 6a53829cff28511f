"""The detector models: one per `type`, frozen, with the contract's examples loading as meant,
and exactly the missing required keys reported, whichever are left out."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from logsidecar.errors import RuleError
from logsidecar.rules.detectors import (
    DETECTOR_TYPES,
    Absence,
    Cardinality,
    Comparison,
    Detector,
    NewTemplate,
    NewValue,
    Ratio,
    Spike,
    TemplateRate,
    Threshold,
)
from logsidecar.rules.load import load_rules, parse_rule_texts

CONTRACT = Path(__file__).resolve().parents[2] / "golden" / "contract" / "rules.yaml"
DETECTOR = TypeAdapter(Detector)

# The "Log templates" part of RULES.md: its source and its two detectors, as written there.
TEMPLATES = r"""version: 1
sources:
  - name: app
    paths: ["/var/log/app/*.log"]
    format: regex
    pattern: '^(?P<ts>\S+) (?P<level>\w+) (?P<msg>.*)$'
detectors:
  - {name: NewKindOfError, type: new_template, source: app, learn_for: 1h,
     min_count: 3, window: 10m, labels: {severity: ticket}}
  - {name: TemplateSurge, type: template_rate, source: app, window: 5m, baseline: 1h,
     method: ratio, threshold: 10, direction: both, min_current: 20}   # `down` includes vanished
"""


def test_every_detector_of_the_contract_example_loads_as_written() -> None:
    detectors = load_rules(CONTRACT).detectors
    assert [
        Threshold(
            name="Http5xxBurst",
            type="threshold",
            rule="http_5xx",
            window=300.0,
            group_by=["upstream"],
            condition=Comparison(gte=50),
            for_=60.0,
            keep_firing_for=300.0,
            labels={"severity": "page"},
            annotations={"summary": "{{ value }} 5xx via {{ labels.upstream }} in 5m"},
        ),
        Ratio(
            name="ErrorRatio",
            type="ratio",
            numerator="http_5xx",
            denominator="http_all",
            window=300.0,
            min_denominator=100,
            condition=Comparison(gt=0.05),
        ),
        Spike(
            name="LoginSpike",
            type="spike",
            rule="login_failed",
            window=60.0,
            baseline=3600.0,
            method="zscore",
            threshold=4,
            direction="up",
            min_current=5,
        ),
        Absence(name="HeartbeatMissing", type="absence", rule="heartbeat", window=180.0),
        NewValue(
            name="NewException",
            type="new_value",
            rule="exception",
            field="exc_class",
            learn_for=1800.0,
            max_tracked=10_000,
        ),
        Cardinality(
            name="CredStuffing",
            type="cardinality",
            rule="login_failed",
            field="user",
            group_by=["ip"],
            window=600.0,
            condition=Comparison(gt=20),
            max_groups=500,
        ),
    ] == list(detectors)


def test_the_template_detectors_of_the_contract_load_as_written() -> None:
    detectors = parse_rule_texts([("templates.yaml", TEMPLATES)], "").detectors
    assert [
        NewTemplate(
            name="NewKindOfError",
            type="new_template",
            source="app",
            learn_for=3600.0,
            min_count=3,
            window=600.0,
            labels={"severity": "ticket"},
        ),
        TemplateRate(
            name="TemplateSurge",
            type="template_rate",
            source="app",
            window=300.0,
            baseline=3600.0,
            method="ratio",
            threshold=10,
            direction="both",
            min_current=20,
        ),
    ] == list(detectors)


def test_the_type_picks_the_model_and_the_defaults_are_the_documented_ones() -> None:
    spike = DETECTOR.validate_python(
        {
            "name": "S",
            "type": "spike",
            "rule": "r",
            "window": "1m",
            "baseline": "1h",
            "threshold": 3,
        }
    )
    assert (
        Spike(
            name="S",
            type="spike",
            rule="r",
            window=60.0,
            baseline=3600.0,
            threshold=3,
            method="zscore",
            direction="up",
            min_current=0.0,
            group_by=[],
            max_groups=1_000,
            for_=0.0,
            keep_firing_for=0.0,
            labels={},
            annotations={},
        )
        == spike
    )
    threshold = DETECTOR.validate_python(
        {"name": "T", "type": "threshold", "rule": "r", "window": 60, "condition": {"lt": 1}}
    )
    assert (Threshold, "count", None, "lt", 1.0) == (
        type(threshold),
        threshold.aggregate,
        threshold.field,
        threshold.condition.operator,
        threshold.condition.number,
    )


def test_a_detector_is_frozen() -> None:
    detector = DETECTOR.validate_python({"name": "A", "type": "absence", "rule": "r", "window": 5})
    with pytest.raises(ValidationError):
        detector.window = 10  # type: ignore[misc]


@pytest.mark.parametrize("condition", [{}, {"gt": 1, "lt": 2}, {"gt": None}, 5, [1]])
def test_a_condition_is_exactly_one_comparison(condition: object) -> None:
    with pytest.raises(ValidationError):
        Comparison.model_validate(condition)


# Each type with every key it has, as a flow mapping, and the keys it cannot do without.
FULL = {
    "threshold": "rule: r, window: 5m, group_by: [g], condition: {gte: 5}, aggregate: sum, "
    "field: v, max_groups: 10",
    "ratio": "numerator: r, denominator: r, window: 5m, condition: {gt: 0.1}, "
    "min_denominator: 5, group_by: [g], max_groups: 10",
    "spike": "rule: r, window: 1m, baseline: 1h, threshold: 4, method: ewma, direction: both, "
    "min_current: 2, group_by: [g], max_groups: 10",
    "absence": "rule: r, window: 3m, group_by: [g], max_groups: 10",
    "new_value": "rule: r, field: v, learn_for: 1h, max_tracked: 10",
    "cardinality": "rule: r, field: v, window: 10m, condition: {gt: 2}, group_by: [g], "
    "max_groups: 10, max_tracked: 10",
    "new_template": "source: app, learn_for: 1h, min_count: 2, window: 10m",
    "template_rate": "source: app, window: 5m, baseline: 1h, threshold: 10, method: ratio, "
    "direction: down, min_current: 20",
}
COMMON = "for: 1m, keep_firing_for: 5m, labels: {team: x}, annotations: {a: '{{ value }}'}"
REQUIRED = {
    "threshold": {"rule", "window", "condition"},
    "ratio": {"numerator", "denominator", "window", "condition"},
    "spike": {"rule", "window", "baseline", "threshold"},
    "absence": {"rule", "window"},
    "new_value": {"rule", "field"},
    "cardinality": {"rule", "field", "window", "condition"},
    "new_template": {"source"},
    "template_rate": {"source", "window", "baseline", "threshold"},
}
HEAD = """version: 1
sources: [{name: app, paths: [/x]}]
rules: [{name: r}]
detectors:
"""


def _text(kind: str, drop: frozenset[str]) -> str:
    entries = [f"name: D, type: {kind}", FULL[kind], COMMON]
    pairs = [p for e in entries for p in _split(e)]
    kept = [p for p in pairs if p.split(":")[0] not in drop]
    return HEAD + "  - {" + ", ".join(kept) + "}\n"


def _split(entry: str) -> list[str]:
    """`a: 1, b: {c: 2}` into its top-level `key: value` pairs."""
    pairs, depth, start = [], 0, 0
    for i, ch in enumerate(entry):
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            pairs.append(entry[start:i].strip())
            start = i + 1
    return [*pairs, entry[start:].strip()]


def test_the_required_keys_are_the_models_required_fields() -> None:
    required = {
        kind: {f.alias or n for n, f in model.model_fields.items() if f.is_required()}
        for kind, model in DETECTOR_TYPES.items()
    }
    assert {k: {"name", "type", *v} for k, v in REQUIRED.items()} == required


@pytest.mark.parametrize("kind", FULL)
def test_a_detector_with_every_key_loads(kind: str) -> None:
    ruleset = parse_rule_texts([("r.yaml", _text(kind, frozenset()))], "")
    # only the template miner's types are warned about: they are not evaluated yet
    warned = ["not evaluated yet"] if kind in ("new_template", "template_rate") else []
    assert [(DETECTOR_TYPES[kind], warned)] == [
        (
            type(d),
            ["not evaluated yet" for w in ruleset.warnings if "not evaluated yet" in w.message],
        )
        for d in ruleset.detectors
    ]
    assert len(warned) == len(ruleset.warnings)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_exactly_the_required_keys_left_out_are_reported(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(sorted(FULL)))
    optional = _split(FULL[kind]) + _split(COMMON)
    optional_keys = {p.split(":")[0] for p in optional} - REQUIRED[kind]
    missing = data.draw(st.frozensets(st.sampled_from(sorted(REQUIRED[kind] | {"name"}))))
    also = data.draw(st.frozensets(st.sampled_from(sorted(optional_keys))))
    if kind == "threshold" and also & {"aggregate", "field"}:
        also = also | {"aggregate", "field"}  # `field` goes with a sum: both or neither
    text = _text(kind, missing | also)
    item = "detector #1" if "name" in missing else "detector 'D'"
    expected = [f"r.yaml:5:5: {item}: missing required key {k!r}" for k in sorted(missing)]
    if not missing:
        assert 1 == len(parse_rule_texts([("r.yaml", text)], "").detectors)
        return
    with pytest.raises(RuleError) as caught:
        parse_rule_texts([("r.yaml", text)], "")
    assert expected == [str(p) for p in caught.value.problems]
