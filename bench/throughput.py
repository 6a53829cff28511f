"""Lines per CPU-second of a real `logsidecar run` process, and of mtail on the same input.

    .venv/bin/python bench/throughput.py [--lines 1000000] [--no-mtail] [--detectors]

logsidecar: starts `logsidecar run` on a free loopback port with an access-log rule set (a regex
source, two counters by label, one filter), appends the generated log, and waits until its
`logsidecar_lines_total` says every line was read. The figure is the process's CPU time (user +
system, from /proc) spent between the first byte written and the last line counted, so start-up
is not included. `--detectors` adds three detectors to the rule set (a threshold grouped by a
label the metrics use, an ungrouped absence, a cardinality of client addresses), to measure what
detectors cost per line; mtail still runs its program without them. mtail (Debian package
`mtail`, if installed): `-one_shot` over the same file with an equivalent program; its CPU time
is the child's rusage, start-up included.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

PATTERN = (
    r'^(?P<ip>\S+) \S+ \S+ \[[^\]]*\] "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) '
    r"(?P<bytes>\d+) upstream=(?P<upstream>\S+) request_time=(?P<request_time>[\d.]+)"
)
RULES = """\
version: 1
sources:
  - name: access
    paths: ["LOGS/*.log"]
    format: regex
    pattern: 'PATTERN'
rules:
  - name: requests
    metrics:
      - counter: http_requests_total
        labels: [method, status]
  - name: errors
    match: {status: {gte: 500}}
    metrics:
      - counter: http_errors_total
        labels: [upstream]
"""
DETECTORS = """\
detectors:
  - {name: UpstreamErrors, type: threshold, rule: errors, group_by: [upstream], window: 5m,
     condition: {gte: 1000000}}
  - {name: NoRequests, type: absence, rule: requests, window: 3m}
  - {name: ManyClients, type: cardinality, rule: requests, field: ip, window: 10m,
     condition: {gt: 100000}}
"""
MTAIL_PROG = """\
counter http_requests_total by method, status
counter http_errors_total by upstream
/PATTERN/ {
  http_requests_total[$method][$status]++
  $status >= 500 {
    http_errors_total[$upstream]++
  }
}
"""


def generate(path: Path, count: int) -> None:
    rng = random.Random(1)
    statuses = [200, 200, 200, 201, 304, 404, 500, 503]
    with open(path, "w") as f:
        for _ in range(count):
            f.write(
                f"10.0.{rng.randint(0, 3)}.{rng.randint(1, 254)} - - [25/Nov/2026:10:00:00 +0000] "
                f'"{rng.choice(["GET", "POST"])} /api/items/{rng.randint(1, 50)} HTTP/1.1" '
                f"{rng.choice(statuses)} {rng.randint(100, 9000)} "
                f"upstream={rng.choice(['billing', 'search'])} "
                f"request_time=0.{rng.randint(1, 999):03d}\n"
            )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def lines_read(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "logsidecar_lines_total":
                return s.value
    return 0.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_logsidecar(work: Path, source: Path, count: int, detectors: bool = False) -> float:
    logs = work / "logs"
    logs.mkdir()
    rules = work / "rules.yaml"
    text = RULES + DETECTORS if detectors else RULES
    rules.write_text(text.replace("LOGS", str(logs)).replace("PATTERN", PATTERN))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "logsidecar", "run", "--rules", str(rules), "--port", str(port),
         "--listen-address", "127.0.0.1", "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        before = cpu_seconds(proc.pid)
        started = time.monotonic()
        shutil.copyfile(source, logs / "access.log")
        while lines_read(port) < count:
            time.sleep(0.2)
        wall = time.monotonic() - started
        cpu = cpu_seconds(proc.pid) - before
        rss = peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"logsidecar{' (+3 detectors)' if detectors else ''}: {count} lines, {cpu:.2f} s CPU "
        f"({cpu / count * 1e6:.2f} µs/line, "
        f"{count / cpu:,.0f} lines per CPU-second), {wall:.1f} s wall, peak RSS {rss:.0f} MiB"
    )
    return cpu


def bench_mtail(work: Path, source: Path, count: int) -> float | None:
    mtail = shutil.which("mtail")
    if mtail is None:
        print("mtail: not installed (apt-get install mtail), skipped")
        return None
    progs = work / "progs"
    progs.mkdir()
    (progs / "access.mtail").write_text(MTAIL_PROG.replace("PATTERN", PATTERN))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [mtail, "-progs", str(progs), "-logs", str(source), "-one_shot",
         "-one_shot_format=prometheus", "-address", "127.0.0.1", "-port", str(free_port()),
         "-logtostderr"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"mtail:      {count} lines, {cpu:.2f} s CPU ({cpu / count * 1e6:.2f} µs/line, "
        f"{count / cpu:,.0f} lines per CPU-second), start-up included"
    )
    return cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--no-mtail", action="store_true")
    parser.add_argument(
        "--detectors", action="store_true", help="add a threshold, an absence, a cardinality"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="logsidecar-bench-") as tmp:
        work = Path(tmp)
        source = work / "access.src"
        generate(source, args.lines)
        ours = bench_logsidecar(work, source, args.lines, args.detectors)
        theirs = None if args.no_mtail else bench_mtail(work, source, args.lines)
        if theirs:
            print(f"logsidecar does {theirs / ours:.1f}x mtail's lines per CPU-second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
