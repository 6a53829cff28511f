"""A Pod without Kubernetes: a network namespace plus an infra process, for end-to-end tests.

Layout (N, names random per Pod; retried on collision with another run):

    root namespace                         pod network namespace "lsc-XXXXXX"
    lshXXXXXX 10.200.N.1/30  <-- veth -->  lspXXXXXX 10.200.N.2/30, lo up, NO default route

The infra process (``ip netns exec NS unshare --mount --uts --ipc --pid --fork --mount-proc ...
sleep infinity``) is PID 1 of the Pod's PID namespace and owns its mount, UTS, IPC and PID
namespaces; containers join all of them with ``nsenter -t INFRA``. Like containers of one Pod
they share the IP, ``localhost`` and the shared directory (the "emptyDir": a host directory,
visible at the same path inside since the mount namespace is a copy of the host's).

Killing the infra process (SIGKILL: PID 1 of a PID namespace ignores SIGTERM from outside)
makes the kernel kill every process of the Pod; teardown does that, then deletes the netns
and the host veth. Needs root and ``ip``/``unshare``/``nsenter`` (util-linux).
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

_TOOLS = ("ip", "unshare", "nsenter")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if check and proc.returncode != 0:
        raise PodError(f"ip {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


class PodError(RuntimeError):
    pass


@functools.cache
def netns_missing() -> str | None:
    """Why this machine cannot run a Pod, or None when it can (probes once, really)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in _TOOLS:
        if shutil.which(tool) is None:
            return f"`{tool}` not found (packages iproute2, util-linux)"
    name = f"lsc-probe-{secrets.token_hex(3)}"
    try:
        add = _ip("netns", "add", name, check=False)
        if add.returncode != 0:
            return f"`ip netns add` does not work here: {add.stderr.strip()}"
        ex = subprocess.run(
            ["ip", "netns", "exec", name, "unshare", "--pid", "--fork", "--mount-proc", "true"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if ex.returncode != 0:
            return f"`ip netns exec … unshare --pid` does not work here: {ex.stderr.strip()}"
    except (OSError, subprocess.SubprocessError) as err:
        return f"network namespace probe failed: {err}"
    finally:
        _ip("netns", "del", name, check=False)
    return None


def _children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (scans /proc; no need for CONFIG_PROC_CHILDREN)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _ns_inode(pid: int | str, kind: str) -> int:
    return os.stat(f"/proc/{pid}/ns/{kind}").st_ino


class PodProcess(subprocess.Popen[Any]):
    """A Popen of ``nsenter … CMD``; signals go to CMD itself, not to nsenter.

    nsenter forks (to enter the PID namespace) and does not forward signals, but it waits for
    its child and exits with the child's status. So terminate()/kill()/send_signal() target the
    child (found by parent PID) and wait()/returncode behave as for CMD.
    """

    def inner_pid(self, timeout: float = 0.0) -> int | None:
        """Host PID of CMD (the child of nsenter), or None if there is none (yet/anymore)."""
        end = time.monotonic() + timeout
        while True:
            if self.poll() is not None:
                return None
            kids = _children(self.pid)
            if kids:
                return kids[0]
            if time.monotonic() >= end:
                return None
            time.sleep(0.01)

    def send_signal(self, sig: int) -> None:
        if self.poll() is not None:
            return
        target = self.inner_pid(timeout=1.0) or self.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, sig)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait up to ``timeout``, then SIGKILL; returns the exit status."""
        if self.poll() is None:
            self.terminate()
            try:
                self.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                try:
                    self.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    os.kill(self.pid, signal.SIGKILL)  # nsenter itself; the Pod kill reaps CMD
                    self.wait(timeout=timeout)
        return self.returncode


class Pod:
    """A network namespace with a veth pair and an infra process; a context manager."""

    def __init__(
        self, shared_dir: Path | None = None, *, workdir: Path | None = None, attempts: int = 8
    ) -> None:
        self.attempts = attempts
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="lsc-pod-"))
        self.shared_dir = Path(shared_dir) if shared_dir else self.workdir / "shared"
        self.name = ""
        self.host_if = ""
        self.pod_if = ""
        self.host_ip = ""
        self.ip = ""
        self.infra: subprocess.Popen[bytes] | None = None
        self.infra_pid: int | None = None  # PID 1 of the Pod's PID namespace, as seen from host
        self.processes: list[PodProcess] = []
        self._logs: list[IO[bytes]] = []
        self._netns_added = False
        self._veth_added = False

    # -- setup -------------------------------------------------------------------------------

    def start(self) -> Self:
        if (reason := netns_missing()) is not None:
            raise PodError(reason)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.shared_dir.mkdir(parents=True, exist_ok=True)
        errors = []
        for _ in range(self.attempts):
            try:
                self._setup_network()
                self._start_infra()
                return self
            except PodError as err:
                errors.append(str(err))
                self._teardown()
        raise PodError("could not set up a Pod:\n  " + "\n  ".join(errors))

    def _setup_network(self) -> None:
        suffix = secrets.token_hex(3)
        n = secrets.randbelow(254) + 1
        net = ipaddress.IPv4Network(f"10.200.{n}.0/30")
        self.name, self.host_if, self.pod_if = f"lsc-{suffix}", f"lsh{suffix}", f"lsp{suffix}"
        self.host_ip, self.ip = f"10.200.{n}.1", f"10.200.{n}.2"

        taken = _ip("-o", "-4", "addr", "show", "to", str(net)).stdout.strip()
        if taken:
            raise PodError(f"{net} already in use: {taken}")
        if self.name in _ip("netns", "list").stdout.split():
            raise PodError(f"netns {self.name} exists")

        _ip("netns", "add", self.name)
        self._netns_added = True
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.pod_if,
            "netns", self.name)  # fmt: skip
        self._veth_added = True
        _ip("addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip("-n", self.name, "addr", "add", f"{self.ip}/30", "dev", self.pod_if)
        _ip("-n", self.name, "link", "set", self.pod_if, "up")
        _ip("-n", self.name, "link", "set", "lo", "up")
        self._verify_network(net)

    def _verify_network(self, net: ipaddress.IPv4Network) -> None:
        # Another run may have raced us to the same /30: exactly our device must own it.
        owners = [
            line.split()[1]
            for line in _ip("-o", "-4", "addr", "show", "to", str(net)).stdout.splitlines()
        ]
        if owners != [self.host_if]:
            raise PodError(f"{net} collision: held by {owners}")
        route = _ip("route", "get", self.ip).stdout
        if not re.search(rf"\bdev {re.escape(self.host_if)}\b", route) or " via " in route:
            raise PodError(f"route to {self.ip} does not go via {self.host_if}: {route.strip()}")
        inside = _ip("-n", self.name, "route", "show").stdout
        if "default" in inside:  # never: the Pod must not reach anything beyond the host end
            raise PodError(f"pod netns has a default route: {inside.strip()}")

    def _start_infra(self) -> None:
        log = self._open_log("infra.log")
        self.infra = subprocess.Popen(
            ["ip", "netns", "exec", self.name,
             "unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--mount-proc",
             "--propagation", "private",
             "sh", "-c", 'echo "$0" > /proc/sys/kernel/hostname && exec sleep infinity',
             self.name],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        # The infra PID is the descendant living in a new PID namespace and in our netns.
        my_pidns = _ns_inode("self", "pid")
        netns_ino = os.stat(f"/run/netns/{self.name}").st_ino
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.infra.poll() is not None:
                raise PodError(
                    f"infra process exited ({self.infra.returncode}): {self._log_text()}"
                )
            todo, seen = [self.infra.pid], set()
            while todo:
                pid = todo.pop()
                seen.add(pid)
                with contextlib.suppress(OSError):
                    if (
                        _ns_inode(pid, "pid") != my_pidns
                        and _ns_inode(pid, "net") == netns_ino
                        and Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sleep\0")
                    ):
                        self.infra_pid = pid
                        return
                todo.extend(c for c in _children(pid) if c not in seen)
            time.sleep(0.01)
        raise PodError(f"infra process did not come up: {self._log_text()}")

    # -- running things inside ---------------------------------------------------------------

    def exec(
        self,
        argv: Sequence[str],
        *,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        stdout: Any = None,
        stderr: Any = None,
        **popen_kwargs: Any,
    ) -> PodProcess:
        """Start ``argv`` inside the Pod (all of its namespaces); a Popen-like PodProcess.

        ``cwd`` defaults to the caller's cwd (nsenter would otherwise start in ``/``).
        The process is stopped at teardown if still running.
        """
        if self.infra_pid is None:
            raise PodError("Pod is not started")
        wd = os.fspath(cwd) if cwd is not None else os.getcwd()
        proc = PodProcess(
            ["nsenter", "-t", str(self.infra_pid), "--net", "--mount", "--uts", "--ipc",
             "--pid", f"--wd={wd}", "--", *argv],
            env=dict(env) if env is not None else None,
            stdout=stdout, stderr=stderr, **popen_kwargs,
        )  # fmt: skip
        self.processes.append(proc)
        return proc

    def run(
        self, argv: Sequence[str], *, timeout: float = 30.0, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the Pod to completion, capturing text output."""
        with self.exec(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
        ) as proc:
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                raise
        return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)

    def log_file(self, name: str) -> IO[bytes]:
        """A file in the Pod's workdir to use as a process's stdout/stderr; closed at teardown."""
        return self._open_log(name)

    # -- teardown ----------------------------------------------------------------------------

    def stop(self) -> None:
        self._teardown()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _teardown(self) -> None:
        """Robust to partial setup; every step runs even if an earlier one fails."""
        for proc in reversed(self.processes):
            with contextlib.suppress(Exception):
                proc.stop(timeout=5)
        self.processes.clear()
        if self.infra_pid is not None:
            # PID 1 of the Pod PID namespace: only SIGKILL gets through; the kernel then kills
            # every process left in the Pod.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.infra_pid, signal.SIGKILL)
            self.infra_pid = None
        if self.infra is not None:
            with contextlib.suppress(Exception):
                self.infra.wait(timeout=5)
            if self.infra.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.infra.pid, signal.SIGKILL)
                with contextlib.suppress(Exception):
                    self.infra.wait(timeout=5)
            self.infra = None
        if self._netns_added:
            _ip("netns", "del", self.name, check=False)
            self._netns_added = False
        if self._veth_added:
            # Usually gone with the netns (deleting one end deletes the pair); make sure.
            if _ip("link", "show", self.host_if, check=False).returncode == 0:
                _ip("link", "del", self.host_if, check=False)
            self._veth_added = False
        for f in self._logs:
            f.close()
        self._logs.clear()

    def _open_log(self, name: str) -> IO[bytes]:
        f = open(self.workdir / name, "ab")  # noqa: SIM115 - closed at teardown
        self._logs.append(f)
        return f

    def _log_text(self) -> str:
        for f in self._logs:
            f.flush()
        try:
            return (self.workdir / "infra.log").read_text(errors="replace").strip()
        except FileNotFoundError:
            return ""

    def __enter__(self) -> Self:
        return self.start() if self.infra_pid is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
