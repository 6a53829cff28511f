"""Helpers shared by the integration and end-to-end tests: a real sidecar process and scrapes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.prom import free_port, http_get

REPO_ROOT = Path(__file__).resolve().parents[1]


EVERY_LINE_RULES = """\
version: 1
sources:
  - name: app
    paths: [{glob}]
rules:
  - name: all
    metrics:
      - counter: app_lines_total
        help: {help}
"""


def every_line_rules(glob: str | Path, help: str = "Every line.") -> str:
    """A rule file counting every line of the files `glob` names in `app_lines_total`."""
    return EVERY_LINE_RULES.format(glob=json.dumps(str(glob)), help=help)


def sample_value(exposition: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name` whose labels include `labels`, or None if absent."""
    found = [
        s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    if len(found) > 1:
        raise AssertionError(f"{name}{labels} matches {len(found)} samples: {found}")
    return found[0] if found else None


class LocalSidecar:
    """`logsidecar run` as a real child process on a free loopback port."""

    def __init__(self, rules: Path, workdir: Path, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGSIDECAR_")}
        env.update({f"LOGSIDECAR_{k.upper()}": v for k, v in settings.items()})
        env.setdefault("LOGSIDECAR_POLL_INTERVAL", "0.2s")
        env.setdefault("LOGSIDECAR_COMMIT_INTERVAL", "0.2s")
        self.out_path = workdir / f"sidecar-{self.port}.log"
        self._out: IO[bytes] = open(self.out_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "logsidecar", "run", "--rules", str(rules),
             "--port", str(self.port), "--listen-address", "127.0.0.1"],
            cwd=REPO_ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def output(self) -> str:
        return self.out_path.read_text(errors="replace")[-8000:]

    def wait_ready(self, deadline: float = 15.0) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"sidecar exited early:\n{self.output()}")
            try:
                if http_get(f"{self.base}/-/ready", timeout=1.0)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"sidecar not ready after {deadline}s:\n{self.output()}")

    def get(self, path: str) -> tuple[int, bytes]:
        return http_get(f"{self.base}{path}")

    def scrape(self) -> str:
        status, body = self.get("/metrics")
        assert 200 == status
        return body.decode()

    def wait_for(
        self,
        name: str,
        expected: float,
        deadline: float = 15.0,
        at_least: bool = False,
        **labels: str,
    ) -> None:
        """Until the sample equals `expected` (`at_least`: reaches it)."""
        end = time.monotonic() + deadline
        value = None
        while time.monotonic() < end:
            try:
                value = sample_value(self.scrape(), name, **labels)
            except OSError:  # not listening yet
                if self.proc.poll() is not None:
                    raise AssertionError(f"sidecar exited:\n{self.output()}") from None
                time.sleep(0.05)
                continue
            if value == expected or (at_least and value is not None and value >= expected):
                return
            time.sleep(0.05)
        raise AssertionError(f"{name}{labels}: expected {expected}, last {value}\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._out.close()
        return code

    def __enter__(self) -> LocalSidecar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
