"""Detector lint: warnings with positions, for detectors that load but will not do what was
meant."""

from __future__ import annotations

from pathlib import Path

from logsidecar.rules.load import load_rules

RULES = """\
version: 1
sources: [{name: app, paths: [/x]}]
rules: [{name: r}]
detectors:
  - {name: T, type: new_template, source: app}
  - {name: S, type: spike, rule: r, window: 1m, baseline: 90s, threshold: 3}
  - {name: Fine, type: spike, rule: r, window: 1m, baseline: 1h, threshold: 3}
"""


def test_template_detectors_and_ragged_baselines_are_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    warnings = [str(w) for w in load_rules(path).warnings]
    assert [
        f"{path}:5:21: detector 'T': warning: detectors of type new_template are checked but not"
        " evaluated yet (they need the template miner): this one never fires",
        f"{path}:6:59: detector 'S': warning: `baseline` (90s) is not a whole number of windows"
        " (1m): it is used as 1 × 1m, the last 30s never",
    ] == warnings
