"""Writes input.log for the detectors golden case (run it from this directory to regenerate).

Twenty minutes of a logfmt app log from 2026-01-01T00:00:00Z in which each detector type of
rules.yaml has something to find:
- a heartbeat every 10 s that stops at 12m and comes back at 15m (HeartbeatMissing);
- a request every 2 s; from 6m to 8m every other one is a 503 (FailedShare);
- billing errors every 5 s from 6m to 7m (ErrorBurst, `for: 30s`);
- a failed login every 30 s from a few users, then at 10m forty in a minute from one address
  with forty user names (LoginSpike, CredStuffing);
- KeyError and ValueError in the first five minutes (learned), ZeroDivisionError at 9m
  (NewException).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 1, 1, tzinfo=UTC)


def main() -> None:
    events: list[tuple[float, str]] = []
    for s in range(0, 20 * 60, 10):
        if not 12 * 60 <= s < 15 * 60:
            events.append((s, "msg=heartbeat"))
    for i, s in enumerate(range(0, 20 * 60, 2)):
        status = 503 if 6 * 60 <= s < 8 * 60 and i % 2 else 200
        events.append((s + 0.5, f"msg=request status={status} path=/api/items"))
    for s in range(6 * 60, 7 * 60, 5):
        events.append((s + 0.25, 'level=error svc=billing msg="charge failed"'))
    for n, s in enumerate(range(0, 20 * 60, 30)):
        events.append((s + 0.75, f"msg=login_failed user=user{n % 3} ip=10.0.0.{n % 2 + 1}"))
    for n in range(40):
        events.append((10 * 60 + n * 1.5, f"msg=login_failed user=guess{n} ip=10.9.9.9"))
    for s, exc in (
        (30, "KeyError"),
        (100, "ValueError"),
        (200, "KeyError"),
        (540, "ZeroDivisionError"),
        (700, "KeyError"),
    ):
        events.append((s + 0.1, f"level=error svc=api msg=exception exc={exc}"))
    events.sort(key=lambda e: e[0])
    lines = []
    for s, text in events:
        when = START + timedelta(seconds=s)
        lines.append(f"ts={when.isoformat(timespec='milliseconds').replace('+00:00', 'Z')} {text}")
    Path("input.log").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
