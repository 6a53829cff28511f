"""A real Prometheus server for end-to-end tests.

Starts ``/usr/bin/prometheus`` (the Debian package) with a temporary config and TSDB directory,
listening on ``127.0.0.1:<free port>``, scraping the given targets every second. Queries go
through the HTTP API. The first scraped sample only appears some 5-6 s after start, so callers
poll with a deadline (:meth:`Prometheus.wait_for_value`), never a fixed sleep.

    with Prometheus({"logsidecar": ["10.200.7.2:9879"]}, workdir=tmp_path / "prom") as prom:
        prom.wait_for_value("app_error_lines_total", 37, deadline=30)
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

PROMETHEUS_BIN = "/usr/bin/prometheus"
PROMTOOL_BIN = "/usr/bin/promtool"

# Never route test traffic through a proxy: it must stay on loopback or our own namespaces.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without proxy settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
    env.update(extra or {})
    return env


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """GET ``url`` without any proxy; returns (status, body) also for HTTP error statuses."""
    try:
        with _OPENER.open(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def prometheus_missing() -> str | None:
    """Why a Prometheus e2e test cannot run here, or None when it can."""
    for binary in (PROMETHEUS_BIN, PROMTOOL_BIN):
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            found = shutil.which(os.path.basename(binary))
            hint = f" (found {found} on PATH instead)" if found else ""
            return f"{binary} not installed{hint}; apt-get install prometheus"
    return None


class PrometheusError(RuntimeError):
    pass


# What the ``prometheus_factory`` fixture yields: ``factory({"job": ["host:port"]})``.
PrometheusFactory = Callable[..., "Prometheus"]


class Prometheus:
    """One Prometheus process; a context manager. ``targets`` maps job name to host:port list."""

    def __init__(
        self,
        targets: Mapping[str, Sequence[str]],
        *,
        workdir: Path,
        scrape_interval: str = "1s",
        binary: str = PROMETHEUS_BIN,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.targets = {job: list(addrs) for job, addrs in targets.items()}
        self.workdir = Path(workdir)
        self.scrape_interval = scrape_interval
        self.binary = binary
        self.extra_args = list(extra_args)
        self.port: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.log_path = self.workdir / "prometheus.log"
        self.config_path = self.workdir / "prometheus.yml"

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise PrometheusError("Prometheus is not started")
        return f"http://127.0.0.1:{self.port}"

    def _write_config(self) -> None:
        # JSON is YAML: no dependency on a YAML writer, and no quoting surprises.
        config = {
            "global": {
                "scrape_interval": self.scrape_interval,
                "scrape_timeout": self.scrape_interval,
                "evaluation_interval": self.scrape_interval,
            },
            "scrape_configs": [
                {
                    "job_name": job,
                    "metrics_path": "/metrics",
                    "scheme": "http",
                    "static_configs": [{"targets": addrs}],
                }
                for job, addrs in self.targets.items()
            ],
        }
        self.config_path.write_text(json.dumps(config, indent=2) + "\n")

    def start(self, ready_timeout: float = 30.0) -> Self:
        if self.proc is not None:
            raise PrometheusError("already started")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        last_error = ""
        for _attempt in range(5):  # a free port can be taken between probing and binding
            self.port = free_port()
            data_dir = self.workdir / f"data-{self.port}"
            args = [
                self.binary,
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={data_dir}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=info",
                *self.extra_args,
            ]
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=clean_env(),
            )
            try:
                self._wait_ready(ready_timeout)
                return self
            except PrometheusError as err:
                last_error = str(err)
                exited = self.proc.poll() is not None
                self.stop()
                if not (exited and "address already in use" in self.logs()):
                    break
        raise PrometheusError(f"Prometheus did not become ready: {last_error}\n{self.logs()}")

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PrometheusError(f"exited with code {self.proc.returncode}")
            try:
                status, body = http_get(self.url + "/-/ready", timeout=1.0)
                if status == 200:
                    return
                last = f"HTTP {status}: {body[:200]!r}"
            except OSError as err:
                last = repr(err)
            time.sleep(0.05)
        raise PrometheusError(f"/-/ready not 200 after {timeout}s ({last})")

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate by PID, wait, kill after ``timeout``. Safe to call more than once."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> Self:
        return self.start() if self.proc is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- HTTP API ----------------------------------------------------------------------------

    def api(self, path: str, **params: str) -> Any:
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        status, body = http_get(url)
        try:
            doc = json.loads(body)
        except ValueError as err:
            raise PrometheusError(f"GET {url}: HTTP {status}, not JSON: {body[:300]!r}") from err
        if status != 200 or doc.get("status") != "success":
            raise PrometheusError(f"GET {url}: HTTP {status}: {doc}")
        return doc["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; returns the result list (for a vector: ``{"metric", "value"}`` dicts)."""
        data = self.api("query", query=expr)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def query_value(self, expr: str) -> float | None:
        """The value of the single series ``expr`` yields; None when it yields nothing yet."""
        result = self.query(expr)
        if not result:
            return None
        if len(result) > 1:
            raise PrometheusError(f"{expr!r} yields {len(result)} series, expected one: {result}")
        return float(result[0]["value"][1])

    def targets_health(self) -> list[dict[str, Any]]:
        """Active targets with their health and last scrape error: the first thing to look at."""
        data = self.api("targets", state="active")
        return [
            {k: t.get(k) for k in ("scrapeUrl", "health", "lastError", "lastScrape")}
            for t in data.get("activeTargets", [])
        ]

    def wait_for_value(
        self, expr: str, expected: float, deadline: float = 30.0, interval: float = 0.2
    ) -> float:
        """Poll ``expr`` until its single series equals ``expected``; ``deadline`` in seconds.

        Raises AssertionError (with the last value seen and the targets' health) on timeout.
        """
        end = time.monotonic() + deadline
        last: object = "no sample yet"
        while True:
            try:
                value = self.query_value(expr)
                if value is not None and (
                    value == expected or (math.isnan(value) and math.isnan(expected))
                ):
                    return value
                last = value if value is not None else "no sample yet"
            except (PrometheusError, OSError) as err:
                last = f"error: {err}"
            if time.monotonic() >= end:
                break
            time.sleep(interval)
        try:
            health: object = self.targets_health()
        except (PrometheusError, OSError) as err:
            health = f"unavailable: {err}"
        raise AssertionError(
            f"{expr!r}: expected {expected}, last seen {last} after {deadline}s; targets: {health}"
        )
