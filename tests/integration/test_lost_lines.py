"""Lines lost to rotations while the sidecar is down: plain reproductions with a real process.

The shape of every case: a file with lines in it, `logsidecar run` on a rule file whose source
matches only the live name `logs/app.log`, more lines appended, a SIGKILL (often ~0.9 s after
start, before the first commit at the default 1 s interval), one or more rotations while it is
down, each followed by a few new lines in the live file, and a restart. Every line written must be
counted exactly once, and the generations rotated away unseen (created and rotated away while it
was down) must show in `logsidecar_rotated_generations_read_total{source="app"}`.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.helpers import LocalSidecar, every_line_rules, sample_value
from tests.integration.logrotate_tool import require_logrotate, rotate_checked, write_conf

KILL_AFTER = 0.9  # seconds after the start: before the first commit, one second after the loop


class Case:
    """The files, the rules and the state dir of one reproduction."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        logs = tmp / "logs"
        logs.mkdir()
        self.log = logs / "app.log"
        self.state = tmp / "state"
        self.rules = tmp / "rules.yaml"
        self.rules.write_text(every_line_rules(self.log))
        self.conf = tmp / "logrotate.conf"
        self.statefile = tmp / "logrotate.state"
        self.written = 0

    def append(self, tag: str, count: int) -> None:
        """Lines that start differently in every generation: no two files share a head."""
        with open(self.log, "a") as f:
            f.write("".join(f"{tag} line {i:03d} of this generation\n" for i in range(count)))
        self.written += count

    def sidecar(self) -> LocalSidecar:
        return LocalSidecar(self.rules, self.tmp, state_dir=str(self.state), commit_interval="1s")

    def first_run(self, kill_before_first_commit: bool) -> str:
        """50 lines, start, 50 more, SIGKILL; returns what happened, for the figures."""
        self.log.touch()
        self.append("before", 50)
        spawned = time.monotonic()
        sidecar = self.sidecar()
        sidecar.wait_ready()
        ready = time.monotonic() - spawned
        self.append("during", 50)
        if kill_before_first_commit:
            # the first commit comes one interval after the loop started, so after `ready`
            time.sleep(
                max(0.0, min(spawned + KILL_AFTER, spawned + ready + 0.6) - time.monotonic())
            )
        else:
            sidecar.wait_for("app_lines_total", 100)  # committed: /metrics shows only that
        killed = time.monotonic() - spawned
        sidecar.stop(signal.SIGKILL)
        return f"ready={ready:.2f}s killed={killed:.2f}s"

    def restart_and_check(self, unseen: int, what: str) -> None:
        """Restart; every line written counted once; `unseen` generations of 5 lines read."""
        with self.sidecar() as sidecar:
            sidecar.wait_ready()
            self.check(sidecar, unseen, what)

    def check(self, sidecar: LocalSidecar, unseen: int, what: str) -> None:
        """Once the count reached what was written and one more commit went by: exactly that."""
        unseen_lines = 5 * unseen
        end = time.monotonic() + 8.0
        while time.monotonic() < end:
            counted = sample_value(sidecar.scrape(), "app_lines_total")
            if counted is not None and counted >= self.written:
                break
            time.sleep(0.1)
        time.sleep(1.3)  # one more commit: nothing more may come
        text = sidecar.scrape()
        counted = sample_value(text, "app_lines_total")
        lines = sample_value(text, "logsidecar_lines_total", source="app")
        gens = sample_value(text, "logsidecar_rotated_generations_read_total", source="app")
        gen_lines = sample_value(text, "logsidecar_rotated_generation_lines_total", source="app")
        print(f"\n[lost lines] {what}: written={self.written} counted={counted} "
              f"logsidecar_lines_total={lines} unseen_generations={unseen} ({unseen_lines} lines) "
              f"generations_read={gens} generation_lines={gen_lines}")  # fmt: skip
        assert (self.written, self.written) == (counted, lines), sidecar.output()
        assert (float(unseen), float(unseen_lines)) == (gens or 0.0, gen_lines or 0.0)


def test_a_file_renamed_away_after_a_kill_before_the_first_commit_is_read(
    tmp_path: Path,
) -> None:
    """The exact reproduction: 100 lines, SIGKILL at 0.9 s, `mv app.log app.log.1`, 5 more."""
    case = Case(tmp_path)
    when = case.first_run(kill_before_first_commit=True)
    case.log.rename(case.log.with_name("app.log.1"))
    case.append("after", 5)
    assert 105 == case.written
    case.restart_and_check(unseen=0, what=f"mv once, {when}")


@pytest.mark.parametrize("kill_before_first_commit", [True, False], ids=["early-kill", "late-kill"])
def test_create_generations_rotated_away_unseen_while_down_are_read(
    tmp_path: Path, kill_before_first_commit: bool
) -> None:
    """Three `create` rotations while down: ours ends as app.log.3; .2 and .1 were never seen."""
    require_logrotate()
    case = Case(tmp_path)
    write_conf(case.conf, case.log, "create", keep=10)
    when = case.first_run(kill_before_first_commit)
    checkpointed = case.log.stat().st_ino
    for generation in range(1, 4):
        rotate_checked(case.conf, case.statefile, case.log)
        case.append(f"gen{generation}", 5)
    assert checkpointed == case.log.with_name("app.log.3").stat().st_ino
    assert 115 == case.written
    case.restart_and_check(unseen=2, what=f"create x3, {when}")


@pytest.mark.parametrize(
    ("rotations", "kill_before_first_commit"),
    [(1, True), (3, True), (3, False)],
    ids=["once-early-kill", "thrice-early-kill", "thrice-late-kill"],
)
def test_copytruncate_copies_made_while_down_are_read(
    tmp_path: Path, rotations: int, kill_before_first_commit: bool
) -> None:
    """`copytruncate` while down: the copy holding our offset, then every newer copy, then live."""
    require_logrotate()
    case = Case(tmp_path)
    write_conf(case.conf, case.log, "copytruncate", keep=10)
    when = case.first_run(kill_before_first_commit)
    for generation in range(1, rotations + 1):
        rotate_checked(case.conf, case.statefile, case.log)
        case.append(f"gen{generation}", 5)
    oldest = case.log.with_name(f"app.log.{rotations}").read_text()
    assert oldest.startswith("before line 000")  # the copy that holds what we had read
    assert 100 + 5 * rotations == case.written
    case.restart_and_check(unseen=rotations - 1, what=f"copytruncate x{rotations}, {when}")
