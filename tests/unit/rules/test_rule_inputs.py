"""rule_inputs: what decides which events a rule matches (source, match, the lists it names)."""

from __future__ import annotations

from logsidecar.rules.load import parse_rule_texts
from logsidecar.rules.ruleset import rule_inputs

RULES = """\
version: 1
sources: [{name: app, paths: [/x]}]
lists: {probes: [/healthz, /readyz], unused: [a]}
rules:
  - name: real
    source: app
    match: {any: [{path: {not_in: $probes}}, {status: {gte: 500}}]}
    metrics: [{counter: real_total, help: Real.}]
  - name: every
"""


def inputs(text: str) -> dict[str, object]:
    return rule_inputs(parse_rule_texts([("r.yaml", text)], ""))


def test_a_rule_s_inputs_are_its_source_match_and_the_lists_it_names() -> None:
    assert {
        "real": {
            "source": "app",
            "match": {"any": [{"path": {"not_in": "$probes"}}, {"status": {"gte": 500}}]},
            "lists": {"probes": ["/healthz", "/readyz"]},
        },
        "every": {"source": None, "match": None, "lists": {}},
    } == inputs(RULES)


def test_a_new_help_text_is_no_new_input_but_a_new_list_value_is() -> None:
    before = inputs(RULES)
    assert before == inputs(RULES.replace("help: Real.", "help: Other."))
    assert before != inputs(RULES.replace("/readyz", "/livez"))
