"""The built-in demo: the seed Pod on one machine.

A "backend" writes the current date once a second into a shared directory, as the seed's backend
container does, plus access and application log lines; logsidecar runs as a separate process (its
own "container") reading that directory with `rules/demo.yaml` and serving metrics.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

DEMO_DIR = Path("/tmp/logsidecar-demo")
_PATHS = ["/", "/cart", "/checkout", "/api/items", "/api/pay", "/healthz", "/metrics"]
_UPSTREAMS = ["billing", "catalog", "search"]
_COMPONENTS = ["db", "payments", "auth"]


def demo_rules() -> Path:
    return Path(__file__).resolve().parent.parent / "rules" / "demo.yaml"


def _access_line(rng: random.Random, now: datetime) -> str:
    status = rng.choices([200, 201, 304, 404, 500, 502, 503], [70, 5, 8, 8, 4, 3, 2])[0]
    return (
        f"10.0.{rng.randint(0, 3)}.{rng.randint(1, 254)} - - [{now:%d/%b/%Y:%H:%M:%S +0000}] "
        f'"{rng.choice(["GET", "GET", "GET", "POST"])} {rng.choice(_PATHS)} HTTP/1.1" {status} '
        f"{rng.randint(100, 9000)} upstream={rng.choice(_UPSTREAMS)} "
        f"request_time={rng.expovariate(8):.3f}"
    )


def _app_line(rng: random.Random, now: datetime) -> str:
    level = rng.choices(["info", "debug", "warn", "error"], [60, 25, 10, 5])[0]
    return (
        f"ts={now:%Y-%m-%dT%H:%M:%SZ} level={level} component={rng.choice(_COMPONENTS)} "
        f'msg="{rng.choice(["request done", "cache miss", "retrying", "timeout talking to db"])}"'
    )


def backend(directory: Path, stop: threading.Event, seed: int = 1) -> None:
    """Write like the seed's backend: the date every second, and some traffic."""
    rng = random.Random(seed)
    logs = directory / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    while not stop.is_set():
        now = datetime.now(UTC)
        (directory / "index.html").write_text(f"{now:%a %b %d %H:%M:%S UTC %Y}\n")
        with open(logs / "heartbeat.log", "a") as f:
            f.write(f"{now:%a %b %d %H:%M:%S UTC %Y}\n")
        with open(logs / "access.log", "a") as f:
            f.write("".join(_access_line(rng, now) + "\n" for _ in range(rng.randint(5, 30))))
        with open(logs / "app.log", "a") as f:
            f.write("".join(_app_line(rng, now) + "\n" for _ in range(rng.randint(1, 8))))
        stop.wait(1.0)


def run_demo(port: int, directory: str | None) -> int:
    shared = Path(directory) if directory else DEMO_DIR
    (shared / "logs").mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    writer = threading.Thread(target=backend, args=(shared, stop), daemon=True)
    writer.start()
    env = dict(os.environ, LOGSIDECAR_LOG_FORMAT=os.environ.get("LOGSIDECAR_LOG_FORMAT", "console"))
    sidecar = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "logsidecar",
            "run",
            "--rules",
            str(demo_rules()),
            "--port",
            str(port),
            "--listen-address",
            "127.0.0.1",
        ],
        env=env,
    )
    print(f"demo backend writing to {shared}/logs; logsidecar reading it", flush=True)
    print(f"metrics:     http://127.0.0.1:{port}/metrics", flush=True)
    print(f"status page: http://127.0.0.1:{port}/   (Ctrl-C to stop)", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while sidecar.poll() is None and not stop.is_set():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop.set()
    if sidecar.poll() is None:
        sidecar.send_signal(signal.SIGTERM)
        try:
            sidecar.wait(timeout=15)
        except subprocess.TimeoutExpired:
            sidecar.kill()
    return sidecar.returncode or 0
