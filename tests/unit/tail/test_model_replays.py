"""Sequences the model test (test_model_stateful.py) once found, replayed as plain tests."""

from __future__ import annotations

import shutil
from typing import Any

from tests.unit.tail.test_model_stateful import TailerModel


def run_steps(*steps: tuple[str, dict[str, Any]]) -> None:
    """Replay a sequence of rules (one the model once found), then the end-of-run checks."""
    machine = TailerModel()
    try:
        for name, kwargs in steps:
            getattr(machine, name)(**kwargs)
            machine.nothing_emitted_twice()
    except BaseException:
        if machine.tailer is not None:
            machine.tailer.close()
        shutil.rmtree(machine.dir, ignore_errors=True)
        raise
    machine.teardown()


def test_an_empty_file_deleted_while_down_is_not_mistaken_for_a_rotated_one() -> None:
    # The committed position of an empty app.log has an empty head: it must not match app.log.1
    # (already read) as its copytruncate copy, or app.log.1 is read again from 0.
    run_steps(
        ("write_lines", {"n": 1, "length": 0}),
        ("poll_until_quiet", {}),
        ("rotate_rename", {}),
        ("poll_until_quiet", {"commit": True}),
        ("crash", {}),
        ("delete", {"index": 0}),  # app.log, the empty one
        ("start", {}),
        ("poll_once", {"advance": 0.0, "commit": False}),
    )


def test_an_empty_file_replaced_while_up_is_not_mistaken_for_a_rotated_one() -> None:
    run_steps(
        ("write_partial", {"length": 0}),
        ("rotate_rename", {}),
        ("poll_once", {"advance": 0.0, "commit": False}),
        ("recreate", {"length": 0}),
        ("poll_once", {"advance": 0.0, "commit": False}),
        ("poll_once", {"advance": 0.0, "commit": False}),
        ("rotate_rename", {}),
        ("crash", {"commit_first": True, "stay_down": False}),  # a clean restart
        ("poll_once", {"advance": 0.0, "commit": False}),
    )


def test_a_line_read_in_part_whose_copy_rotated_away_is_not_emitted_as_a_fragment() -> None:
    # A poll stops mid-line (its byte budget ran out); then copytruncate runs more often than
    # `rotate` keeps copies, so the rest of that line is nowhere. Its first part is not a line.
    run_steps(
        ("write_partial", {"length": 0}),
        ("delete", {"index": 0}),
        ("write_lines", {"n": 2, "length": 0}),
        ("write_partial", {"length": 0}),
        ("write_lines", {"n": 4, "length": 13}),
        ("write_partial", {"length": 0}),
        ("write_lines", {"n": 4, "length": 6}),  # more than one poll's budget in all
        ("poll_once", {"advance": 0.0, "commit": False}),
        ("copytruncate", {}),
        ("copytruncate", {}),
        ("copytruncate", {}),
        ("copytruncate", {}),
    )
