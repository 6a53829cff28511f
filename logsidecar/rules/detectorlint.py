"""Lint for detectors: legal, but probably not what was meant. Warnings, with positions.

- `new_template` and `template_rate` are checked but not evaluated yet (they need the template
  miner): such a detector never fires, and the operator should know;
- a `spike` (or `template_rate`) whose `baseline` is not a whole number of windows: the baseline
  is cut into `floor(baseline / window)` windows, so the rest is never used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from logsidecar.errors import RuleProblem
from logsidecar.rules.durations import parse_duration

Path = tuple[str | int, ...]
Warn = Callable[[Path, str, bool], RuleProblem]  # (path, message, at_key)
NOT_EVALUATED = ("new_template", "template_rate")


def lint_detectors(detectors: Sequence[tuple[dict[str, Any], Warn, Path]]) -> list[RuleProblem]:
    """Warnings for the detectors of a rule set that loaded without errors."""
    found: list[RuleProblem] = []
    for raw, warn, path in detectors:
        kind = raw.get("type")
        if kind in NOT_EVALUATED:
            found.append(
                warn(
                    (*path, "type"),
                    f"detectors of type {kind} are checked but not evaluated yet (they need the"
                    " template miner): this one never fires",
                    False,
                )
            )
        if "baseline" in raw and "window" in raw:
            window = parse_duration(raw["window"])
            baseline = parse_duration(raw["baseline"])
            windows = int(baseline // window)
            if windows * window != baseline:
                found.append(
                    warn(
                        (*path, "baseline"),
                        f"`baseline` ({raw['baseline']}) is not a whole number of windows"
                        f" ({raw['window']}): it is used as {windows} × {raw['window']}, the last"
                        f" {baseline - windows * window:g}s never",
                        False,
                    )
                )
    return found
