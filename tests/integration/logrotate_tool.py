"""The real Debian logrotate, driven with `logrotate -f -s STATE CONF` on a private config."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"

CONF = """\
{log} {{
    rotate {keep}
    {mode}
    missingok
    nocompress
}}
"""


def require_logrotate() -> None:
    """Skip without logrotate locally; fail under CI=true, where it must be installed."""
    if os.access(LOGROTATE, os.X_OK):
        return
    message = f"{LOGROTATE} missing: install the Debian package logrotate (make system-deps)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def write_conf(conf: Path, log: Path, mode: str, keep: int = 500) -> None:
    """A config for `log`; mode "create" (rename, then a new empty file) or "copytruncate"."""
    directive = "create 0644" if mode == "create" else "copytruncate"
    conf.write_text(CONF.format(log=log, mode=directive, keep=keep))
    conf.chmod(0o644)  # a group/world-writable config is ignored, with exit 0


def rotated(log: Path) -> list[Path]:
    """app.log.1, app.log.2, ... that exist now, newest first."""
    found = [p for p in log.parent.glob(f"{log.name}.*") if p.suffix[1:].isdigit()]
    return sorted(found, key=lambda p: int(p.suffix[1:]))


def run_logrotate(conf: Path, statefile: Path) -> subprocess.CompletedProcess[str]:
    """One forced rotation. The caller checks the files: a refused config also exits 0."""
    return subprocess.run(
        [LOGROTATE, "-f", "-s", str(statefile), str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def rotate_checked(conf: Path, statefile: Path, log: Path) -> None:
    """One forced rotation that must have made one more rotated file."""
    before = len(rotated(log))
    done = run_logrotate(conf, statefile)
    after = rotated(log)
    if len(after) != before + 1:
        raise AssertionError(
            f"logrotate did not rotate (exit {done.returncode}): {before} -> "
            f"{[p.name for p in after]}\n{done.stdout}{done.stderr}"
        )
