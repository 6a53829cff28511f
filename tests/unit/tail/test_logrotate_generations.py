"""Real logrotate runs while the sidecar is down, or faster than its polls: every generation is
read once, oldest first."""

import subprocess
from pathlib import Path

import pytest

from tests.unit.tail.support import Sidecar, write

LOGROTATE = Path("/usr/sbin/logrotate")
pytestmark = pytest.mark.skipif(not LOGROTATE.exists(), reason="needs logrotate")


def logrotate(logs: Path, directives: str) -> None:
    """One forced run of the real logrotate on logs/app.log (config and state kept outside)."""
    conf = logs.parent / "logrotate.conf"
    conf.write_text(f"{logs / 'app.log'} {{\n  rotate 4\n  missingok\n  {directives}\n}}\n")
    subprocess.run(
        [str(LOGROTATE), "-f", "-s", str(logs.parent / "logrotate.state"), str(conf)],
        check=True,
        capture_output=True,
    )


def down_through(tmp_path: Path, *runs: str) -> list[str]:
    """Commit after reading "1", go down, write and rotate with each of `runs` (its directives),
    restart: all it reads."""
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "app.log", "1")
    sidecar = Sidecar(logs)
    assert ["1"] == sidecar.read()
    sidecar.commit()
    sidecar.kill()
    for n, directives in enumerate(runs):
        write(logs / "app.log", f"{n + 2}")
        logrotate(logs, directives)
    write(logs / "app.log", "last")
    return sidecar.restart()


@pytest.mark.parametrize(
    "directives",
    ["create", "copytruncate", "create\n  compress\n  delaycompress", "copytruncate\n  compress"],
)
def test_three_logrotate_runs_while_down(tmp_path: Path, directives: str) -> None:
    assert ["2", "3", "4", "last"] == down_through(tmp_path, directives, directives, directives)


def test_logrotate_dateext_runs_while_down(tmp_path: Path) -> None:
    # two runs in one second: the first names its file after yesterday, the second after today
    lines = down_through(tmp_path, "create\n  dateext\n  dateyesterday", "create\n  dateext")
    assert ["2", "3", "last"] == lines
    assert 2 == len(list((tmp_path / "logs").glob("app.log-2*")))


@pytest.mark.parametrize(
    "directives",
    [
        "create",
        "copytruncate",
        "create\n  compress",
        "copytruncate\n  compress",
        "create\n  compress\n  delaycompress",
    ],
)
def test_logrotate_runs_faster_than_the_polls(tmp_path: Path, directives: str) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "app.log", "1")
    sidecar = Sidecar(logs)
    assert ["1"] == sidecar.read()
    for n in range(3):  # three runs, no poll between them
        write(logs / "app.log", f"{n + 2}")
        logrotate(logs, directives)
    write(logs / "app.log", "last")
    assert ["2", "3", "4", "last"] == sidecar.read()
