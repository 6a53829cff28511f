"""Typed, frozen models of the `detectors:` section: one model per `type` (a tagged union).

The models hold each key's shape: which keys a type needs and allows, durations, numbers,
enumerations, the comparison of a `condition`. What needs several keys or the rest of the rule
set (references, label names against `group_by`, annotation placeholders, `aggregate` with
`field`, `baseline` against `window`) is checked with positions by `rules.detectorcheck`.
Evaluating them is `logsidecar.detect`; nothing here runs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    Strict,
    ValidationInfo,
    model_validator,
)

from logsidecar.rules.durations import Duration
from logsidecar.rules.frozen import Frozen

OPERATORS = ("gt", "gte", "lt", "lte", "eq", "ne")
Number = Annotated[float, Strict()]  # an int or a float; not a bool, not a string
NonNegative = Annotated[float, Strict(), Field(ge=0)]
Positive = Annotated[float, Strict(), Field(gt=0)]
PositiveInt = Annotated[int, Strict(), Field(ge=1)]

COMPARISON_HELP = (
    "`condition` is one comparison with a number, e.g. {gt: 20} "
    f"(operators: {', '.join(OPERATORS)})"
)


def _longer_than_zero(value: float, info: ValidationInfo) -> float:
    if value <= 0:
        raise ValueError(f"`{info.field_name}` must be longer than 0")
    return value


Span = Annotated[Duration, AfterValidator(_longer_than_zero)]  # a window, a baseline


class Comparison(Frozen):
    """`condition`: exactly one operator with a number, e.g. `{gte: 50}`."""

    gt: Number | None = None
    gte: Number | None = None
    lt: Number | None = None
    lte: Number | None = None
    eq: Number | None = None
    ne: Number | None = None

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(COMPARISON_HELP)
        return data

    @model_validator(mode="after")
    def _one_operator(self) -> Comparison:
        if len([op for op in OPERATORS if getattr(self, op) is not None]) != 1:
            raise ValueError(COMPARISON_HELP)
        return self

    @property
    def operator(self) -> str:
        return next(op for op in OPERATORS if getattr(self, op) is not None)

    @property
    def number(self) -> float:
        value: float = getattr(self, self.operator)
        return value


class _Common(Frozen):
    """Keys every type has: the alert lifecycle and what goes with the anomaly."""

    name: str = Field(min_length=1)
    for_: Duration = Field(default=0.0, alias="for")  # holds this long before firing
    keep_firing_for: Duration = 0.0  # firing this long after the condition clears
    labels: dict[str, str] = Field(default_factory=dict)  # static labels of the anomaly
    annotations: dict[str, str] = Field(default_factory=dict)  # {{ value }}, {{ labels.X }}


class _Grouped(Frozen):
    group_by: list[str] = Field(default_factory=list)  # label names, each also a field
    max_groups: PositiveInt = 1_000  # more groups are counted as overflow, never tracked


class _Rate(Frozen):
    """A current window against a longer baseline (spike, template_rate)."""

    window: Span
    baseline: Span
    threshold: Positive
    method: Literal["ratio", "zscore", "ewma"] = "zscore"
    direction: Literal["up", "down", "both"] = "up"
    min_current: NonNegative = 0.0  # below this many matches in the window: never fires


class Threshold(_Common, _Grouped):
    """The count (or `aggregate` of a numeric `field`) of a rule's matches in a window."""

    type: Literal["threshold"]
    rule: str
    window: Span
    condition: Comparison
    aggregate: Literal["count", "sum", "avg", "max", "min"] = "count"
    field: str | None = None  # required unless aggregate is count


class Ratio(_Common, _Grouped):
    """Matches of `numerator` over matches of `denominator` in a window."""

    type: Literal["ratio"]
    numerator: str
    denominator: str
    window: Span
    condition: Comparison
    min_denominator: NonNegative = 0.0  # fewer denominator matches: no ratio, never fires


class Spike(_Common, _Grouped, _Rate):
    """A rule's match rate now against its baseline."""

    type: Literal["spike"]
    rule: str


class Absence(_Common, _Grouped):
    """Fewer than one match of a rule in the window. `armed`: `start` — an ungrouped detector
    fires when a whole window passes with no match from the moment it starts; `first_match` — it
    waits for a first match. A group is always armed by its first match."""

    type: Literal["absence"]
    rule: str
    window: Span
    armed: Literal["start", "first_match"] = "start"


class NewValue(_Common):
    """A value of `field` not seen before (after learning for `learn_for`). It fires while a new
    value was first seen within the last `window`; the values go into the log, never a label."""

    type: Literal["new_value"]
    rule: str
    field: str = Field(min_length=1)
    learn_for: Duration = 0.0
    window: Span = 300.0
    max_tracked: PositiveInt = 10_000  # values remembered; the least recently seen is evicted


class Cardinality(_Common, _Grouped):
    """The number of distinct values of `field` in a window."""

    type: Literal["cardinality"]
    rule: str
    field: str = Field(min_length=1)
    window: Span
    condition: Comparison
    max_tracked: PositiveInt = 10_000  # distinct values kept per group


class NewTemplate(_Common):
    """A log template of a source not seen before (after learning for `learn_for`)."""

    type: Literal["new_template"]
    source: str
    learn_for: Duration = 0.0
    min_count: PositiveInt = 1  # seen this many times (within `window` when set) to count
    window: Span | None = None


class TemplateRate(_Common, _Rate):
    """Each template's rate now against its baseline; `down` includes vanished."""

    type: Literal["template_rate"]
    source: str


DETECTOR_TYPES: dict[str, type[_Common]] = {
    "threshold": Threshold,
    "ratio": Ratio,
    "spike": Spike,
    "absence": Absence,
    "new_value": NewValue,
    "cardinality": Cardinality,
    "new_template": NewTemplate,
    "template_rate": TemplateRate,
}

Detector = Annotated[
    Threshold | Ratio | Spike | Absence | NewValue | Cardinality | NewTemplate | TemplateRate,
    Field(discriminator="type"),
]


def allowed_keys(kind: str) -> frozenset[str]:
    """The keys a detector of type `kind` may have, as written in YAML."""
    model = DETECTOR_TYPES[kind]
    return frozenset(f.alias or name for name, f in model.model_fields.items())
