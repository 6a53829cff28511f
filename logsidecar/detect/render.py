"""What an alert says about itself: its labels, its rendered annotations, its transitions.

Labels: the `group_by` labels with the group's values, then the detector's static `labels`.
Annotations: `{{ value }}` becomes the measured value (%g; "none" when there is none) and
`{{ labels.X }}` the value of label X; whitespace inside the braces is allowed, as the rule
check accepts it. Other placeholders were refused at load; one that slips through is left as
written, so the mistake shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from logsidecar.detect.alerts import LabelPairs, Transition
from logsidecar.detect.lifecycle import Change
from logsidecar.detect.measure import Labels
from logsidecar.rules.detectors import Absence, Cardinality, Ratio, Spike, Threshold
from logsidecar.rules.model import Detector

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_LABEL_REF = re.compile(r"labels\.(\w+)")


def format_value(value: float | None) -> str:
    """A measured value for people: %g, or "none"."""
    return "none" if value is None else f"{value:g}"


def render(template: str, value: float | None, labels: Mapping[str, str]) -> str:
    """One annotation with its placeholders filled in."""
    if "{{" not in template:
        return template

    def fill(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if inner == "value":
            return format_value(value)
        ref = _LABEL_REF.fullmatch(inner)
        if ref is not None and ref.group(1) in labels:
            return labels[ref.group(1)]
        return m.group(0)

    return _PLACEHOLDER.sub(fill, template)


def group_by(detector: Detector) -> tuple[str, ...]:
    """The label names of a detector's groups (none for the ungrouped types)."""
    if isinstance(detector, Threshold | Ratio | Spike | Absence | Cardinality):
        return tuple(detector.group_by)
    return ()


def label_pairs(detector: Detector, group: Labels) -> tuple[LabelPairs, LabelPairs]:
    """(the group's labels, those then the static labels) of one group of `detector`."""
    grouped = tuple(zip(group_by(detector), group, strict=True))
    return grouped, grouped + tuple(detector.labels.items())


def render_annotations(
    detector: Detector, value: float | None, labels: LabelPairs
) -> tuple[tuple[str, str], ...]:
    """Every annotation of `detector`, rendered for one group's value and labels."""
    if not detector.annotations:
        return ()
    by_name = dict(labels)
    return tuple((k, render(t, value, by_name)) for k, t in detector.annotations.items())


def transition(
    detector: Detector, time: float, change: Change, lines: Iterable[str] = ()
) -> Transition:
    """The Transition of one lifecycle change at `time`, with the group's last matching lines."""
    grouped, labels = label_pairs(detector, change.group)
    return Transition(
        time=time,
        detector=detector.name,
        type=detector.type,
        previous=change.previous,
        state=change.state,
        group=grouped,
        labels=labels,
        value=change.value,
        condition=change.condition,
        annotations=render_annotations(detector, change.value, labels),
        lines=tuple(lines),
    )
