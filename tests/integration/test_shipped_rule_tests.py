"""The shipped rule files' tests (rules/*.test.yaml) through the real command, in a subprocess:
every rule file has one, they pass, and a changed expectation fails with its diff on stdout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


def logsidecar_test(*files: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logsidecar", "test", *files],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_shipped_rule_file_has_tests_and_they_pass() -> None:
    rule_files = sorted(p.stem for p in RULES.glob("*.yaml") if not p.name.endswith(".test.yaml"))
    test_files = sorted(p.name.removesuffix(".test.yaml") for p in RULES.glob("*.test.yaml"))
    assert rule_files == test_files
    done = logsidecar_test(*(f"rules/{name}.test.yaml" for name in test_files))
    assert "" == done.stderr
    lines = done.stdout.splitlines()
    assert [f"rules/{name}.test.yaml: OK" for name in test_files] == [
        line.split(": OK: ")[0] + ": OK" for line in lines
    ]
    assert 0 == done.returncode


def test_a_changed_expectation_fails_with_the_diff(tmp_path: Path) -> None:
    shutil.copy(RULES / "demo.yaml", tmp_path)
    text = (RULES / "demo.test.yaml").read_text()
    edits = [
        ("demo_heartbeats_total: 30,", "demo_heartbeats_total: 31,"),
        (
            "- {at: 38s, detector: DemoHeartbeatMissing, firing: []}",
            "- {at: 38s, detector: DemoHeartbeatMissing, firing: [{labels: {severity: page}}]}",
        ),
    ]
    for old, new in edits:
        assert 1 == text.count(old)
        text = text.replace(old, new)
    (tmp_path / "demo.test.yaml").write_text(text)
    done = logsidecar_test("demo.test.yaml", cwd=tmp_path)
    name = "the heartbeat counts dates; ten quiet seconds fire DemoHeartbeatMissing"
    assert (
        f"demo.test.yaml:11:9: test '{name}': metrics at 29s differ (- expected, + actual):\n"
        "  - demo_heartbeats_total 31\n"
        "  + demo_heartbeats_total 30\n"
        f"demo.test.yaml:16:9: test '{name}': DemoHeartbeatMissing firing at 38s differs"
        " (- expected, + actual):\n"
        '  - {severity="page"}\n'
        "  # value 1: {}\n"
        f"demo.test.yaml: FAILED: 1 of 6 tests failed: '{name}'\n"
    ) == done.stdout
    assert 1 == done.returncode
