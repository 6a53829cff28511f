"""How much CPU logsidecar burns while the files it watches are quiet.

Creates 10 log files with some content in a temp dir, a rules file with one source globbing them
and one counter rule, and starts `python -m logsidecar run` on a free loopback port with the
default poll and commit intervals (and a state dir, as deployed). Once /-/ready answers and the
first pass has settled, it measures the process's CPU time over a window and prints it per
minute, with the RSS. Target (issue 3): under 20 ms of CPU per minute with 10 quiet files.

    .venv/bin/python bench/idle_cpu.py [--seconds 60] [--files 10] [--settle 5]

CPU time comes from /proc: the sum of every thread's run time in /proc/PID/task/*/schedstat
(nanoseconds), and utime+stime from /proc/PID/stat (clock ticks, usually 10 ms, so coarse over
a short window; it also counts threads that exited). Exit status: 0 PASS, 1 FAIL, 2 error.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_MS_PER_MIN = 20.0
TICK = os.sysconf("SC_CLK_TCK")
# loopback only, never through a proxy
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

RULES = """\
version: 1
sources:
  - name: bench
    paths: ["{glob}"]
rules:
  - name: errors
    match: {{line: {{regex: 'level=error'}}}}
    metrics:
      - counter: bench_error_lines_total
        help: Lines at level error.
"""


@dataclass(frozen=True)
class Sample:
    at: float  # monotonic seconds
    ticks: int  # utime + stime, clock ticks, whole process
    sched_ns: dict[int, int]  # thread id -> run time in ns
    switches: dict[int, int]  # thread id -> voluntary + involuntary context switches


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with OPENER.open(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""


def read_sample(pid: int) -> Sample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    sched: dict[int, int] = {}
    switches: dict[int, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            sched[int(task.name)] = int((task / "schedstat").read_text().split()[0])
            status = (task / "status").read_text().splitlines()
        except (OSError, ValueError, IndexError):
            continue  # the thread just ended
        switches[int(task.name)] = sum(
            int(line.split()[1])
            for line in status
            if line.partition(":")[0].endswith("ctxt_switches")
        )
    return Sample(time.monotonic(), ticks, sched, switches)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def make_logs(directory: Path, files: int, lines: int) -> None:
    directory.mkdir()
    for i in range(files):
        with open(directory / f"app-{i}.log", "w") as f:
            for n in range(lines):
                level = "error" if n % 10 == 0 else "info"
                f.write(f"ts=2026-01-01T00:00:{n % 60:02d}Z level={level} file={i} n={n} msg=ok\n")


def wait_ready(proc: subprocess.Popen[bytes], base: str, deadline: float) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"logsidecar exited with {proc.returncode} before it was ready")
        try:
            if http_get(f"{base}/-/ready")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"logsidecar not ready after {deadline:.0f} s")


def counter_value(base: str, name: str) -> float | None:
    _, text = http_get(f"{base}/metrics", timeout=5)
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def measure(args: argparse.Namespace, work: Path) -> int:
    logs = work / "logs"
    make_logs(logs, args.files, args.lines)
    if args.state_beside_rules:  # rules.yaml and state/ in one directory, watched for the rules
        rules = work / "rules.yaml"
        rules.write_text(RULES.format(glob=logs / "*.log"))
    else:  # as in the Pod: a ConfigMap directory, the logs emptyDir, a state emptyDir
        rules = work / "rules"
        rules.mkdir()
        (rules / "bench.yaml").write_text(RULES.format(glob=logs / "*.log"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGSIDECAR_")}
    if not args.no_state_dir:
        env["LOGSIDECAR_STATE_DIR"] = str(work / "state")
    out_path = work / "logsidecar.out"
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "logsidecar", "run", "--rules", str(rules),
             "--port", str(port), "--listen-address", "127.0.0.1"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            return run_window(args, proc, base)
        except (RuntimeError, OSError) as exc:
            print(f"error: {exc}\n{out_path.read_text(errors='replace')[-4000:]}")
            return 2
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def run_window(args: argparse.Namespace, proc: subprocess.Popen[bytes], base: str) -> int:
    started = time.monotonic()
    wait_ready(proc, base, deadline=30)
    ready_after = time.monotonic() - started
    expected = args.files * ((args.lines + 9) // 10)
    time.sleep(args.settle)
    counted = counter_value(base, "bench_error_lines_total")
    print(
        f"logsidecar idle CPU: {args.files} quiet files ({args.lines} lines each), default "
        f"poll/commit intervals, state dir {'off' if args.no_state_dir else 'on'}"
        f"{', beside the rules file' if args.state_beside_rules else ''}\n"
        f"ready after {ready_after:.1f} s; counted {counted} of {expected} error lines; "
        f"measuring {args.seconds:g} s ...",
        flush=True,
    )
    first = read_sample(proc.pid)
    time.sleep(args.seconds)
    if proc.poll() is not None:
        raise RuntimeError(f"logsidecar exited with {proc.returncode} during the window")
    last = read_sample(proc.pid)
    rss = rss_kib(proc.pid)

    window = last.at - first.at
    per_min = 60.0 / window
    tick_ms = (last.ticks - first.ticks) * 1000.0 / TICK
    threads = sorted(set(first.sched_ns) | set(last.sched_ns))
    stable = set(first.sched_ns) == set(last.sched_ns)
    sched_ms = sum(last.sched_ns.get(t, 0) - first.sched_ns.get(t, 0) for t in threads) / 1e6
    cpu_ms = sched_ms if stable else tick_ms  # a thread that ended took its schedstat with it
    switches = sum(last.switches.get(t, 0) - first.switches.get(t, 0) for t in threads)
    per_minute = cpu_ms * per_min
    verdict = "PASS" if per_minute < TARGET_MS_PER_MIN else "FAIL"
    print(
        f"window:           {window:.1f} s\n"
        f"cpu (schedstat):  {sched_ms:.1f} ms over {len(threads)} threads"
        f"{'' if stable else ' (threads came and went: not used)'}\n"
        f"cpu (stat ticks): {tick_ms:.0f} ms (1 tick = {1000 / TICK:.0f} ms)\n"
        f"cpu per minute:   {per_minute:.1f} ms/min "
        f"({100 * cpu_ms / 1000 / window:.3f} % of a core)\n"
        f"context switches: {switches / window:.1f}/s\n"
        f"rss:              {rss / 1024:.1f} MiB\n"
        f"target:           < {TARGET_MS_PER_MIN:g} ms/min -> {verdict}",
        flush=True,
    )
    return 0 if verdict == "PASS" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measurement window")
    parser.add_argument("--settle", type=float, default=5.0, help="wait after ready")
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--lines", type=int, default=1000, help="lines in each file")
    parser.add_argument("--no-state-dir", action="store_true", help="run without checkpoints")
    parser.add_argument(
        "--state-beside-rules",
        action="store_true",
        help="a rules file in the directory that holds the state dir (not the Pod's layout)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="logsidecar-bench-"))
    try:
        return measure(args, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
