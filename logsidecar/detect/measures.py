"""The measure of each detector type: `make_measure(detector, started)`.

`started`: when the detector began watching (wall-clock seconds); it arms absence, starts the
learning of new_value, and says when an ungrouped threshold's first window and spike's first full
baseline are complete. new_template and template_rate are fed by the template miner (issue 11)
and are not evaluated yet: ValueError.
"""

from __future__ import annotations

from logsidecar.detect.measure import Measure
from logsidecar.detect.windowed import AbsenceMeasure, RatioMeasure, ThresholdMeasure
from logsidecar.rules.detectors import Absence, Ratio, Threshold
from logsidecar.rules.model import Detector


def make_measure(detector: Detector, started: float) -> Measure:
    if isinstance(detector, Threshold):
        return ThresholdMeasure(detector, started)
    if isinstance(detector, Ratio):
        return RatioMeasure(detector, started)
    if isinstance(detector, Absence):
        return AbsenceMeasure(detector, started)
    raise ValueError(f"detector {detector.name!r} of type {detector.type!r} is not evaluated yet")
