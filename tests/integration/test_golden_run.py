"""The golden cases through a real `logsidecar run` process: files on disk, the tailer, the loop,
the multiline quiet timeout, /metrics. It must serve every sample of expected.prom (but the
detectors': `run` judges by arrival time, replay by the lines' own)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from logsidecar.replay import pick_source
from logsidecar.rules.load import load_rules
from tests.golden.conftest import Case, cases
from tests.helpers import LocalSidecar

CASES = cases()
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_run_serves_what_replay_printed(case: Case, tmp_path: Path) -> None:
    ruleset = load_rules(case.rules)
    forced = case.args[case.args.index("--source") + 1] if "--source" in case.args else None
    logs = tmp_path / "logs"
    logs.mkdir()
    paths: dict[str, list[str]] = {}
    for path in case.inputs:
        source = pick_source(str(path), ruleset.sources, forced).name
        paths.setdefault(source, []).append(str(logs / path.name))
    doc = yaml.safe_load(case.rules.read_text())
    for source in doc["sources"]:  # the same rules, reading the copies
        source["paths"] = paths.get(source["name"], [str(logs / "unused.log")])
        source.pop("exclude", None)
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(doc, sort_keys=False))
    for path in case.inputs:
        shutil.copy(path, logs / path.name)
    # Detectors in `run` judge by arrival time, in replay by event time: their series differ.
    expected = {
        key: value
        for key, value in samples(case.expected_path.read_text()).items()
        if not key[0].startswith("logsidecar_anomal")
    }
    with LocalSidecar(rules, tmp_path) as sidecar:
        sidecar.wait_ready()
        deadline = time.monotonic() + 20
        while True:
            served = samples(sidecar.scrape())
            got = {key: served.get(key) for key in expected}
            if got == expected or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert expected == got
