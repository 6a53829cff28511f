"""The measure of each detector type: `make_measure(detector, started)`.

`started`: when the detector began watching (wall-clock seconds); it arms absence, starts the
learning of new_value, and says when an ungrouped threshold's first window and spike's first full
baseline are complete. new_template and template_rate are fed by the template miner (issue 11)
and are not evaluated yet: ValueError.
"""

from __future__ import annotations

from typing import Any

from logsidecar.detect.distinct import CardinalityMeasure, NewValueMeasure
from logsidecar.detect.measure import Measure
from logsidecar.detect.spike import SpikeMeasure
from logsidecar.detect.windowed import AbsenceMeasure, RatioMeasure, ThresholdMeasure
from logsidecar.rules.detectors import Absence, Cardinality, NewValue, Ratio, Spike, Threshold
from logsidecar.rules.model import Detector

# detector model -> its measure class (each takes (detector, started))
measure_types: dict[type[Any], type[Any]] = {
    Threshold: ThresholdMeasure,
    Ratio: RatioMeasure,
    Absence: AbsenceMeasure,
    Spike: SpikeMeasure,
    NewValue: NewValueMeasure,
    Cardinality: CardinalityMeasure,
}


def make_measure(detector: Detector, started: float) -> Measure:
    """The measure of `detector`, fresh, as of `started`."""
    if isinstance(detector, Threshold):
        return ThresholdMeasure(detector, started)
    if isinstance(detector, Ratio):
        return RatioMeasure(detector, started)
    if isinstance(detector, Absence):
        return AbsenceMeasure(detector, started)
    if isinstance(detector, Spike):
        return SpikeMeasure(detector, started)
    if isinstance(detector, NewValue):
        return NewValueMeasure(detector, started)
    if isinstance(detector, Cardinality):
        return CardinalityMeasure(detector, started)
    raise ValueError(f"detector {detector.name!r} of type {detector.type!r} is not evaluated yet")
