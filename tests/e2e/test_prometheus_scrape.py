"""The seed Pod, for real: an app writes logs into an emptyDir, the sidecar (in the same Pod's
namespaces) reads them, a real Prometheus on the host scrapes the Pod IP.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import sample_value

from .pod import Pod, PodProcess
from .prom import PROMTOOL_BIN, PrometheusFactory, clean_env, http_get

REPO_ROOT = Path(__file__).resolve().parents[2]
PORT = 9879
N_LINES = 100
N_ERRORS = 37


def make_lines() -> list[str]:
    """100 log lines, exactly 37 of them with ERROR, spread out (i*7 mod 100 is a permutation)."""
    lines = []
    for i in range(N_LINES):
        ts = f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}.{i:03d}Z"
        if (i * 7) % 100 < N_ERRORS:
            lines.append(f"{ts} ERROR req={i} upstream=billing failed: connection reset\n")
        elif i % 10 == 3:
            lines.append(f"{ts} INFO req={i} retried, no error this time\n")  # lowercase: no match
        else:
            lines.append(f"{ts} INFO req={i} ok status=200\n")
    assert N_ERRORS == sum("ERROR" in line for line in lines)
    return lines


class Sidecar:
    """The sidecar container of the Pod, seen from the host through the Pod IP."""

    def __init__(self, pod: Pod, rules: Path) -> None:
        self.pod = pod
        self.base = f"http://{pod.ip}:{PORT}"
        env = {k: v for k, v in clean_env().items() if not k.startswith("LOGSIDECAR_")}
        env["LOGSIDECAR_LOG_FORMAT"] = "json"
        self.out_path = pod.workdir / "sidecar.stdout"
        self.err_path = pod.workdir / "sidecar.stderr"
        self.proc: PodProcess = pod.exec(
            [sys.executable, "-m", "logsidecar", "run", "--rules", str(rules),
             "--port", str(PORT), "--listen-address", "0.0.0.0"],
            cwd=REPO_ROOT, env=env,
            stdout=pod.log_file(self.out_path.name), stderr=pod.log_file(self.err_path.name),
        )  # fmt: skip

    def output(self) -> str:
        def tail(path: Path) -> str:
            text = path.read_text(errors="replace") if path.exists() else ""
            return text[-8000:]

        status = "running" if self.proc.poll() is None else f"exit code {self.proc.returncode}"
        return (
            f"--- sidecar ({status}) stdout ---\n{tail(self.out_path)}"
            f"--- sidecar stderr ---\n{tail(self.err_path)}"
        )

    def wait_ready(self, deadline: float = 15.0) -> None:
        end = time.monotonic() + deadline
        last = "no answer yet"
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                pytest.fail(f"sidecar exited before /-/ready answered 200\n{self.output()}")
            try:
                status, body = http_get(f"{self.base}/-/ready", timeout=1.0)
                if status == 200:
                    return
                last = f"HTTP {status}: {body[:200]!r}"
            except OSError as err:
                last = repr(err)
            time.sleep(0.1)
        pytest.fail(f"{self.base}/-/ready not 200 after {deadline}s ({last})\n{self.output()}")

    def scrape(self) -> str:
        status, body = http_get(f"{self.base}/metrics")
        assert 200 == status, f"GET {self.base}/metrics: HTTP {status}: {body[:500]!r}"
        return body.decode()

    def wait_for_lines(self, expected: int, deadline: float = 15.0) -> None:
        """Sync point: poll the sidecar's own /metrics until it has read ``expected`` lines."""
        end = time.monotonic() + deadline
        value = None
        while time.monotonic() < end:
            value = sample_value(self.scrape(), "logsidecar_lines_total", source="app")
            if value == expected:
                return
            time.sleep(0.05)
        raise AssertionError(
            f"logsidecar_lines_total{{source='app'}}: expected {expected}, last {value}"
        )


@pytest.mark.e2e
def test_prometheus_scrapes_error_lines_from_pod(
    pod: Pod, prometheus_factory: PrometheusFactory, tmp_path: Path
) -> None:
    logs = pod.shared_dir / "logs"  # the emptyDir the app container writes into
    logs.mkdir()
    rules = tmp_path / "config" / "rules.yaml"  # the ConfigMap
    rules.parent.mkdir()
    rules.write_text(
        "version: 1\n"
        "sources:\n"
        "  - name: app\n"
        f"    paths: [{json.dumps(str(logs / '*.log'))}]\n"
        "rules:\n"
        "  - name: errors\n"
        "    match: {line: {regex: 'ERROR'}}\n"
        "    metrics:\n"
        "      - counter: app_error_lines_total\n"
        "        help: Lines with ERROR.\n"
        "detectors:\n"
        "  - {name: ErrorBurst, type: threshold, rule: errors, window: 1h,\n"
        "     condition: {gte: 30}, labels: {severity: page}}\n"
    )
    lines = make_lines()
    app_log = open(logs / "app.log", "ab", buffering=0)  # noqa: SIM115 - closed below

    def write(text: str) -> None:
        app_log.write(text.encode())

    started = time.monotonic()
    sidecar = None
    try:
        write("".join(lines[:30]))  # already there when the sidecar starts
        sidecar = Sidecar(pod, rules)
        sidecar.wait_ready(deadline=15)
        prom = prometheus_factory({"logsidecar": [f"{pod.ip}:{PORT}"]})

        write("".join(lines[30:60]))
        sidecar.wait_for_lines(60)
        # One write ends in the middle of a line, inside the word ERROR; the sidecar must
        # neither count the fragment as a line nor lose the match once the line completes.
        # Complete lines precede the fragment in that write, so once the sidecar has counted
        # them it has (in practice) also read the fragment, before the rest arrives.
        split = next(i for i in range(65, N_LINES) if "ERROR" in lines[i])
        cut = lines[split].index("ERROR") + 3
        write("".join(lines[60:split]) + lines[split][:cut])
        sidecar.wait_for_lines(split)
        write(lines[split][cut:] + "".join(lines[split + 1 : 85]))
        write("".join(lines[85:N_LINES]))

        value = prom.wait_for_value('app_error_lines_total{job="logsidecar"}', N_ERRORS, 30)
        assert N_ERRORS == value
        # 37 errors in the hour: the detector fires, and Prometheus sees the alert series
        query = 'logsidecar_anomaly{job="logsidecar",detector="ErrorBurst",state="firing",severity="page"}'
        assert 1.0 == prom.wait_for_value(query, 1.0, 30)
        assert N_ERRORS == prom.wait_for_value(
            'logsidecar_anomaly_value{job="logsidecar",detector="ErrorBurst"}', N_ERRORS, 30
        )

        exposition = sidecar.scrape()
        check = subprocess.run(
            [PROMTOOL_BIN, "check", "metrics"],
            input=exposition.encode(),
            capture_output=True,
            timeout=30,
        )
        assert 0 == check.returncode, (
            f"promtool check metrics exited {check.returncode}:\n"
            f"{check.stdout.decode()}{check.stderr.decode()}\n--- exposition ---\n{exposition}"
        )
        assert N_LINES == sample_value(exposition, "logsidecar_lines_total", source="app")
        assert N_ERRORS == sample_value(exposition, "app_error_lines_total")
        assert N_ERRORS == sample_value(exposition, "logsidecar_rule_matches_total", rule="errors")
    except BaseException as exc:
        if sidecar is not None and not isinstance(exc, pytest.fail.Exception):
            print(sidecar.output())  # shown by pytest with the failure
        raise
    finally:
        app_log.close()
        print(f"e2e scenario took {time.monotonic() - started:.1f}s")
