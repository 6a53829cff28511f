"""Alert labels, annotations and transitions as operators read them."""

from __future__ import annotations

import math

from logsidecar.detect.alerts import Transition
from logsidecar.detect.lifecycle import Change
from logsidecar.detect.render import (
    format_value,
    label_pairs,
    render,
    render_annotations,
    transition,
)
from logsidecar.rules.detectors import Comparison, NewValue, Threshold

BURST = Threshold(
    name="Http5xxBurst",
    type="threshold",
    rule="http_5xx",
    window=300.0,
    group_by=["upstream", "zone"],
    condition=Comparison(gte=50),
    for_=60.0,
    labels={"severity": "page", "team": "web"},
    annotations={
        "summary": "{{ value }} 5xx via {{ labels.upstream }} in 5m",
        "owner": "{{labels.team}}/{{   labels.zone   }}",
    },
)


def test_values_use_percent_g_and_none() -> None:
    assert [format_value(v) for v in (52.0, 0.07, 2.3333333, 1e21, math.inf, None)] == [
        "52",
        "0.07",
        "2.33333",
        "1e+21",
        "inf",
        "none",
    ]


def test_render_fills_value_and_labels_with_any_spacing() -> None:
    labels = {"upstream": "billing"}
    assert render("{{ value }} via {{labels.upstream}}!", 52.0, labels) == "52 via billing!"
    assert render("{{value}}/{{  value  }}", None, labels) == "none/none"
    assert render("no placeholder", 1.0, labels) == "no placeholder"


def test_render_leaves_an_unknown_placeholder_as_written() -> None:
    assert render("{{ labels.nope }} {{ other }}", 1.0, {}) == "{{ labels.nope }} {{ other }}"


def test_label_pairs_are_group_by_then_static() -> None:
    assert label_pairs(BURST, ("billing", "eu")) == (
        (("upstream", "billing"), ("zone", "eu")),
        (("upstream", "billing"), ("zone", "eu"), ("severity", "page"), ("team", "web")),
    )


def test_ungrouped_types_have_only_static_labels() -> None:
    new = NewValue(name="NewExc", type="new_value", rule="exc", field="cls", labels={"a": "b"})
    assert label_pairs(new, ()) == ((), (("a", "b"),))
    assert render_annotations(new, 1.0, (("a", "b"),)) == ()


def test_annotations_rendered_with_every_label() -> None:
    _, labels = label_pairs(BURST, ("billing", "eu"))
    assert render_annotations(BURST, 52.0, labels) == (
        ("summary", "52 5xx via billing in 5m"),
        ("owner", "web/eu"),
    )


def test_transition_carries_everything_of_the_change() -> None:
    change = Change(("billing", "eu"), "pending", "firing", 52.0, "count 52 >= 50")
    got = transition(BURST, 168.0, change, ["line 1", "line 2"])
    assert got == Transition(
        time=168.0,
        detector="Http5xxBurst",
        type="threshold",
        previous="pending",
        state="firing",
        group=(("upstream", "billing"), ("zone", "eu")),
        labels=(("upstream", "billing"), ("zone", "eu"), ("severity", "page"), ("team", "web")),
        value=52.0,
        condition="count 52 >= 50",
        annotations=(("summary", "52 5xx via billing in 5m"), ("owner", "web/eu")),
        lines=("line 1", "line 2"),
    )
    assert got.event == "anomaly_firing"
    assert got.as_dict()["labels"] == {
        "upstream": "billing",
        "zone": "eu",
        "severity": "page",
        "team": "web",
    }
