"""Torture: a real logrotate under a steady writer, while the sidecar is SIGKILLed and restarted.

A writer process appends numbered lines (`seq=0000123 ...`) at a steady rate. A rotator thread
runs the Debian `logrotate -f` on a private config, in `create` mode (the writer reopens its path
when the inode behind it changed) or in `copytruncate` mode (the writer keeps one O_APPEND file
descriptor, and is not paused: a line written between logrotate's copy and its truncation is in
no file). The rules' source matches the live name `app.log` only. Meanwhile the sidecar, with a
state dir and short commit/poll intervals, is killed with SIGKILL at random moments and restarted
(10 to 12 times):

- sometimes before it is even ready;
- at least once with two or three rotations in a row while it is down, so that the file it had
  committed ends as app.log.3 or .4 and the generations in between were never seen;
- at least once right after it became ready, and at least once 0.05-0.25 s after it was started,
  before one commit interval (the default 1 s, for these runs) has passed, each time in the run
  that follows rotations while down (so it had a file to read it had never committed), and then
  rotated again while it is down;
- sometimes with one rotation while it is down;
- once it is frozen (SIGSTOP) across a rotation, as a CPU-starved container would be.

A scraper thread reads /metrics every 50-100 ms while a sidecar process exists. Checked:

- no counter ever goes down between two scrapes, across restarts included;
- at the end, after the sidecar caught up: every line written is counted exactly once
  (`create`); surviving <= counted <= written (`copytruncate`, where surviving is the number of
  distinct lines still in the files: a line logrotate lost may or may not have been read first);
- a clean restart afterwards counts nothing again.

What the sidecar promises, and so what the schedule relies on (RULES.md): a file it was reading
is followed through renames, and a rotated copy is found by the fingerprint of the file it was
reading. No byte of a file is read before that file's identity is committed, so a kill at any
moment, before the first commit included, leaves a checkpoint that knows every file it counted
from. At restart, generations created and rotated away while it was down (renamed files in
`create` mode, copies newer than the one holding the offset in `copytruncate` mode) are found and
read, oldest first, before the live file — and likewise while it runs, so rotations while it is
up come as the rotator draws them, back to back and right after it became ready (SETTLE is 0;
raise it to space them out when hunting a failure).

The seed is printed; run again with TORTURE_SEED=<seed> to replay the same schedule. Figures show
with `pytest -s`.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import LocalSidecar
from tests.integration.logrotate_tool import require_logrotate
from tests.integration.torture_harness import (
    EARLY_COMMIT_INTERVAL,
    UNSEEN_GENERATIONS,
    UNSEEN_LINES,
    Torture,
)
from tests.integration.torture_writer import Writer, blocks_off, lines_in_files

pytestmark = pytest.mark.slow

RESTARTS = 12  # SIGKILLs and restarts, at most; at least MIN_RESTARTS, more while in BUDGET
MIN_RESTARTS = 10
BUDGET = 22.0  # seconds of torture a mode: both modes together stay near a minute
DOWN = ("down", "multi", "early", "prompt")  # the actions with rotations while it is down
KILL_SOON = ("early", "prompt")  # killed before one commit interval: started with a long one


def schedule(rng: random.Random) -> list[str]:
    """One action per restart: normal, frozen, down (one rotation while down), multi (two or
    three), early (killed right after ready, then one rotation while down) and prompt (killed
    0.05-0.25 s after start, likely before any commit, then one rotation while down)."""
    plan = ["normal"] * RESTARTS
    multi_at = rng.randrange(1, 4)
    plan[multi_at], plan[multi_at + 1] = "multi", "early"
    down_at = rng.randrange(multi_at + 2, MIN_RESTARTS - 1)
    plan[down_at], plan[down_at + 1] = rng.choice(["down", "multi"]), "prompt"
    plan[rng.choice([i for i in range(1, MIN_RESTARTS) if plan[i] == "normal"])] = "frozen"
    for i in range(1, RESTARTS):
        if plan[i] != "normal":
            continue
        if plan[i - 1] in ("down", "multi") and rng.random() < 0.5:
            plan[i] = rng.choice(KILL_SOON)
        elif rng.random() < 0.2:
            plan[i] = rng.choice(["down", "multi"])
    return plan


def torture_once(t: Torture, rng: random.Random, action: str) -> None:
    """Let the current sidecar run (or not) as `action` says, and kill it."""
    if action == "frozen":  # frozen across a rotation: it sees the result only afterwards
        t.wait_safe_and_hold()
        t.freeze(True)
        t.rotate()
        t.wait_regrown()
        t.freeze(False)
        t.hold_rotator = False
        time.sleep(rng.uniform(0.1, 0.6))
    elif action == "early":  # ready: it committed what it knows, then read; killed at once
        t.hold_rotator = True
        if t.ready_at is None:
            t.wait_ready()
    elif action == "prompt":  # just started: it may not have committed anything yet
        t.hold_rotator = True
        time.sleep(max(0.0, t.started_at + rng.uniform(0.05, 0.25) - time.monotonic()))
    elif action in DOWN:
        t.wait_safe_and_hold()
        time.sleep(rng.uniform(0.0, 0.15))
    elif t.ready_at is None:  # sometimes killed before it is even ready
        time.sleep(rng.uniform(0.05, 0.8))
    else:
        time.sleep(rng.uniform(0.3, 2.0))
    t.kill()
    if action in DOWN:
        t.rotate_while_down(rng.choice([2, 3]) if action == "multi" else 1, rng)
        if action not in KILL_SOON:  # the live file regrows past the offset the copy ended at
            t.wait_regrown()
        t.hold_rotator = False
    else:
        time.sleep(rng.uniform(0.0, 0.4))


def start_next(t: Torture, rng: random.Random, action: str | None) -> LocalSidecar:
    """The next sidecar; `action` is what the schedule will do to it (None: the end)."""
    if action in KILL_SOON:
        sidecar = t.start(commit_interval=EARLY_COMMIT_INTERVAL)
        if action == "early":
            t.wait_ready()
        return sidecar
    sidecar = t.start()
    if rng.random() < 0.75:
        t.wait_ready()
    return sidecar


def run_torture(tmp_path: Path, mode: str) -> None:
    require_logrotate()
    seed = int(os.environ.get("TORTURE_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"\n[torture {mode}] seed={seed} (replay: TORTURE_SEED={seed})", flush=True)
    rng = random.Random(seed)
    t = Torture(tmp_path, mode)
    started = time.monotonic()
    t.writer = writer = Writer(
        t.log, reopen=mode == "create", split_every=50 if mode == "create" else 0
    )
    threads = [
        threading.Thread(target=t.rotator, args=(random.Random(rng.random()),), daemon=True),
        threading.Thread(target=t.scraper, args=(random.Random(rng.random()),), daemon=True),
    ]
    plan = schedule(rng)
    done: list[str] = []
    sidecar = t.start()
    problems: list[str] = []
    try:
        t.wait_ready()
        for thread in threads:
            thread.start()
        for i, action in enumerate(plan):
            if i >= MIN_RESTARTS and time.monotonic() - started > BUDGET:
                break
            torture_once(t, rng, action)
            done.append(action)
            sidecar = start_next(t, rng, plan[i + 1] if i + 1 < len(plan) else None)
        # the end: no more rotations or writes; let the last sidecar catch up
        tortured = time.monotonic() - started
        t.hold_rotator = True
        with t.lock:
            written, reopens = writer.stop()
        t.wait_ready()
        seqs, odd = lines_in_files([t.log, *t.rotated_files()])
        surviving = len(set(seqs))
        if mode == "create" and sorted(seqs) != list(range(written)):
            problems.append(f"test harness: the files do not hold seq 0..{written - 1} once "
                            f"each ({len(seqs)} lines)")  # fmt: skip
        if len(seqs) != surviving or not set(seqs) <= set(range(written)):
            problems.append("test harness: a seq number twice in the files, or unknown")
        if odd:
            problems.append(f"odd lines in the files: {odd[:5]}")
        counted = t.wait_settled(at_least=surviving)
        blocks = blocks_off(t.by_block(), [t.log, *t.rotated_files()], written)
        time.sleep(0.5)  # nothing more may come: no late second reading
        counted_later = t.counted()
        wellformed = t.counted("torture_wellformed_total")
        generations, recovered = t.sample(UNSEEN_GENERATIONS), t.sample(UNSEEN_LINES)
        code = sidecar.stop(signal.SIGTERM)
        t.outputs.append(sidecar.output())
        with t.lock:
            t.sidecar = None
        # a clean restart on the same state counts nothing again
        sidecar = t.start()
        t.wait_ready()
        time.sleep(0.6)
        after_restart = t.counted()
        code2 = sidecar.stop(signal.SIGTERM)
        t.outputs.append(sidecar.output())
        with t.lock:
            t.sidecar = None
    finally:
        t.done.set()
        writer.kill()
        if t.sidecar is not None:
            t.sidecar.stop(signal.SIGKILL)
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout=10)

    duration = time.monotonic() - started
    decreases = t.decreases()
    tracebacks = sum(out.count("Traceback") for out in t.outputs)
    figures = (
        f"[torture {mode}] seed={seed} written={written} counted={counted:g} "
        f"surviving={surviving} lost_by_logrotate={written - surviving} "
        f"recovered_from_unseen_generations={recovered} (generations {generations}) "
        f"rotations={t.rotations} rotations_while_down={t.rotations_while_down} "
        f"(in a row: {done.count('multi')}x) rotations_while_frozen={t.rotations_while_frozen} "
        f"kills={t.kills} kills_before_first_commit={t.kills_untouched_state} "
        f"(right after ready {done.count('early')}, right after start {done.count('prompt')}, "
        f"before ready {t.kills_before_ready}) "
        f"counted_later={counted_later:g} wellformed={wellformed:g} "
        f"after_clean_restart={after_restart:g} writer_reopens={reopens} "
        f"rotated_files={len(t.rotated_files())} scrapes={len(t.scrapes)} "
        f"scrape_errors={t.scrape_errors} decreases={len(decreases)} plan={','.join(done)} "
        f"duration={duration:.1f}s (torture {tortured:.1f}s)"
    )
    print(figures, flush=True)
    if not {"multi", "early", "prompt"} <= set(done):
        problems.append(f"test harness: the schedule missed an action it promises: {done}")
    if decreases:
        problems.append(f"counters went down {len(decreases)} times: {decreases[:5]}")
    if mode == "create" and counted != written:
        problems.append(f"counted {counted:g}, written {written} "
                        f"({'lines lost' if counted < written else 'lines counted twice'})")  # fmt: skip
    if mode == "copytruncate" and not surviving <= counted <= written:
        problems.append(f"counted {counted:g}, not within surviving {surviving} .. written "
                        f"{written} ({'lines lost' if counted < surviving else 'counted twice'})")  # fmt: skip
    if blocks:
        problems.append(f"{len(blocks)} blocks of 100 lines off: {blocks[:8]}")
    if counted_later != counted:
        problems.append(f"kept counting after catching up: {counted:g} -> {counted_later:g}")
    if wellformed != counted:
        problems.append(f"{counted - wellformed:g} lines counted were fragments or glued lines")
    if after_restart != counted_later:
        problems.append(
            f"a clean restart changed the count: {counted_later:g} -> {after_restart:g}"
        )
    if (code, code2) != (0, 0):
        problems.append(f"SIGTERM exit codes {code}, {code2}, expected 0")
    if tracebacks:
        problems.append(f"{tracebacks} tracebacks in the sidecar output")
    assert not problems, (
        figures
        + "\n- "
        + "\n- ".join(problems)
        + "\nwhat happened:\n"
        + "\n".join(t.events)
        + "\ncounts by sidecar: "
        + t.progress()
        + "\nlast sidecar output:\n"
        + t.outputs[-1]
    )


def test_create_mode_every_line_written_is_counted_once(tmp_path: Path) -> None:
    run_torture(tmp_path, "create")


def test_copytruncate_mode_no_line_in_the_files_is_lost_none_counted_twice(
    tmp_path: Path,
) -> None:
    run_torture(tmp_path, "copytruncate")
