"""Detectors in a real `logsidecar run` process, on real files, scraped over HTTP: an absence
fires on /metrics when the writer stops and resolves when it resumes; a spike's baseline survives
a SIGKILL."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.helpers import LocalSidecar, sample_value

RULES = """\
version: 1
sources:
  - name: app
    paths: [{glob}]
rules:
  - name: all
    metrics:
      - counter: app_lines_total
        help: Every line.
detectors:
{detectors}
"""


def rules_file(tmp_path: Path, detectors: str) -> tuple[Path, Path]:
    logs = tmp_path / "logs"
    logs.mkdir()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(glob=json.dumps(str(logs / "*.log")), detectors=detectors))
    return rules, logs / "app.log"


class Writer:
    """Appends a line every `every` seconds until paused or stopped."""

    def __init__(self, log: Path, every: float = 0.1) -> None:
        self.log, self.every = log, every
        self.running = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self.stopped.is_set():
            if self.running.is_set():
                with open(self.log, "a") as f:
                    f.write(f"line {n}\n")
                n += 1
            time.sleep(self.every)

    def __enter__(self) -> Writer:
        self.running.set()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


def until(
    check: Callable[[], bool], what: str, sidecar: LocalSidecar, deadline: float = 20.0
) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {deadline}s\n{sidecar.output()}")


def test_an_absence_fires_when_the_writer_stops_and_resolves_when_it_resumes(
    tmp_path: Path,
) -> None:
    rules, log = rules_file(
        tmp_path,
        "  - {name: Quiet, type: absence, rule: all, window: 3s, labels: {severity: page}}",
    )
    log.write_text("")
    with (
        Writer(log) as writer,
        LocalSidecar(rules, tmp_path, state_dir=str(tmp_path / "state")) as sidecar,
    ):
        sidecar.wait_ready()
        sidecar.wait_for("app_lines_total", 20, at_least=True)

        def state() -> float | None:
            return sample_value(
                sidecar.scrape(),
                "logsidecar_anomaly",
                detector="Quiet",
                state="firing",
                severity="page",
            )

        assert None is state()  # lines keep coming: nothing absent
        writer.running.clear()
        stopped = time.monotonic()
        until(lambda: state() == 1.0, "firing after the writer stopped", sidecar)
        # not before the window has passed (its edge moves by 1 s buckets: 2 to 3 s)
        assert time.monotonic() - stopped >= 1.9
        assert 1.0 == sample_value(sidecar.scrape(), "logsidecar_anomalies_total", detector="Quiet")
        writer.running.set()
        until(lambda: state() is None, "resolved after the writer resumed", sidecar)
        assert 0.0 < (
            sample_value(sidecar.scrape(), "logsidecar_anomaly_value", detector="Quiet") or 0
        )
    events = [json.loads(line) for line in sidecar.output().splitlines() if line.startswith("{")]
    names = [e["event"] for e in events if e.get("detector") == "Quiet"]
    assert ["anomaly_firing", "anomaly_resolved"] == names
    fired = next(e for e in events if e["event"] == "anomaly_firing")
    assert {"severity": "page"} == fired["labels"]
    assert fired["lines"] and fired["lines"][-1].startswith("line ")


def test_a_baseline_learned_before_a_sigkill_is_judged_at_once_after_the_restart(
    tmp_path: Path,
) -> None:
    """Window 1s, baseline 4s: a fresh detector needs 5 s before it may fire. Learn it, kill the
    sidecar, restart and burst at once: it fires within the first second, because the baseline
    came back from the checkpoint."""
    rules, log = rules_file(
        tmp_path,
        "  - {name: Jump, type: spike, rule: all, window: 1s, baseline: 4s, method: ratio,"
        " threshold: 5, direction: up, min_current: 20}",
    )
    state = str(tmp_path / "state")
    log.write_text("")
    with Writer(log, every=0.25), LocalSidecar(rules, tmp_path, state_dir=state) as first:
        first.wait_ready()
        time.sleep(6.0)  # a full baseline of ~4 lines a second
        first.stop(signal.SIGKILL)
    saved = json.loads((tmp_path / "state" / "logsidecar-state.json").read_text())
    assert ["Jump"] == list(saved["detectors"]["detectors"])
    with LocalSidecar(rules, tmp_path, state_dir=state) as second:
        second.wait_ready()
        started = time.monotonic()
        with open(log, "a") as f:
            f.write("".join(f"burst {i}\n" for i in range(200)))

        def fired() -> bool:
            return (
                sample_value(second.scrape(), "logsidecar_anomaly", detector="Jump", state="firing")
                == 1.0
            )

        until(fired, "the spike fired", second, deadline=10.0)
        assert time.monotonic() - started < 4.0  # a fresh baseline could not fire for 5 s
