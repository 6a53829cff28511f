"""The reloader on real rule files: what it applies, what it keeps, what it reports."""

import threading
from pathlib import Path

from logsidecar.clock import FakeClock
from logsidecar.rules.ruleset import RuleSet
from logsidecar.service.reloader import Outcome, Reloader, Requests

RULES = """\
version: 1
sources:
  - {{name: app, paths: [/logs/*.log]}}
rules:
{rules}
"""
RULE = """\
  - name: {name}
    metrics:
      - counter: {name}_total
        help: {help}
"""


BROKEN = "  - name: broken\n    metric: [oops]\n"


def rules_text(*names: str, help: str = "Lines.") -> str:
    return RULES.format(rules="".join(RULE.format(name=n, help=help) for n in names))


def make(tmp_path: Path, text: str) -> tuple[Reloader, list[RuleSet], Path]:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    applied: list[RuleSet] = []
    return Reloader(str(path), FakeClock(), applied.append), applied, path


def test_a_successful_start_up_load_is_not_counted_as_a_reload(tmp_path: Path) -> None:
    reloader, applied, _ = make(tmp_path, rules_text("a"))
    outcome = reloader.load("startup")
    assert (True, 1, 0, 0, True) == (
        outcome.ok,
        len(applied),
        reloader.reloads,
        reloader.failures,
        reloader.last_ok,
    )


def test_broken_rules_at_start_up_count_as_a_failure_and_apply_nothing(tmp_path: Path) -> None:
    reloader, applied, path = make(tmp_path, "version: 1\nrules: [{name: x, metric: oops}]\n")
    assert False is reloader.load("startup").ok
    assert ([], None, 1, 1, False) == (
        applied,
        reloader.running,
        reloader.reloads,
        reloader.failures,
        reloader.last_ok,
    )
    assert str(path) in reloader.last_error
    path.write_text(rules_text("a"))
    assert True is reloader.load("change", only_if_changed=True).ok
    assert (1, True) == (len(applied), reloader.last_ok)


def test_a_bad_update_keeps_the_running_rules_and_is_reported_once(tmp_path: Path) -> None:
    reloader, applied, path = make(tmp_path, rules_text("a"))
    reloader.load("startup")
    running = reloader.running
    path.write_text(rules_text("a") + BROKEN)
    assert False is reloader.load("change", only_if_changed=True).ok
    assert False is reloader.load("change", only_if_changed=True).ok  # same files: not again
    assert (running, 1, 1, 1) == (
        reloader.running,
        len(applied),
        reloader.reloads,
        reloader.failures,
    )


def test_files_back_at_the_running_digest_make_the_last_reload_successful_again(
    tmp_path: Path,
) -> None:
    good = rules_text("a")
    reloader, applied, path = make(tmp_path, good)
    reloader.load("startup")
    path.write_text(good + BROKEN)
    reloader.load("change", only_if_changed=True)
    assert False is reloader.last_ok
    path.write_text(good)  # the ConfigMap is rolled back
    assert Outcome(True, "rules unchanged") == reloader.load("change", only_if_changed=True)
    assert (True, "", 1) == (reloader.last_ok, reloader.last_error, len(applied))


def test_a_requested_reload_of_unchanged_files_applies_them_again(tmp_path: Path) -> None:
    reloader, applied, _ = make(tmp_path, rules_text("a"))
    reloader.load("startup")
    assert True is reloader.load("http").ok
    assert (2, 1) == (len(applied), reloader.reloads)


def test_the_reload_log_names_what_was_added_removed_and_changed(tmp_path: Path) -> None:
    from structlog.testing import capture_logs

    reloader, _, path = make(tmp_path, rules_text("a", "b"))
    reloader.load("startup")
    path.write_text(
        rules_text("b", "c", help="Other.").replace(
            "name: b\n    metrics:\n      - counter: b_total\n        help: Other.",
            "name: b\n    metrics:\n      - counter: b_total\n        help: Changed.",
        )
    )
    with capture_logs() as logs:
        reloader.load("sighup")
    (event,) = [e for e in logs if e["event"] == "rules_reloaded"]
    assert (["rule/c"], ["rule/a"], ["rule/b"], "sighup") == (
        event["added"],
        event["removed"],
        event["changed"],
        event["reason"],
    )


def test_a_waiting_request_gets_its_own_answer_not_an_earlier_one() -> None:
    requests = Requests(lambda: None)
    requests.take()
    requests.answer(Outcome(True, "an earlier reload"))
    result: list[Outcome] = []
    waiter = threading.Thread(target=lambda: result.append(requests.ask_and_wait("http", 5.0)))
    waiter.start()
    while not requests._reasons:  # the request is queued
        threading.Event().wait(0.001)
    assert ["http"] == requests.take()
    requests.answer(Outcome(False, "its own answer"))
    waiter.join()
    assert [Outcome(False, "its own answer")] == result


def test_a_request_nobody_answers_times_out_with_a_failure() -> None:
    requests = Requests(lambda: None)
    requests.take()
    requests.answer(Outcome(True, "the previous reload's answer"))
    outcome = requests.ask_and_wait("http", 0.05)
    assert (False, "no answer within 0.05s: the reload is still queued") == (
        outcome.ok,
        outcome.message,
    )


def test_rules_that_cannot_be_read_are_reported_once_not_at_every_check(tmp_path: Path) -> None:
    reloader, _, path = make(tmp_path, rules_text("a"))
    reloader.load("startup")
    path.write_bytes(b"\xff\xfe not utf-8")
    for _ in range(3):
        assert False is reloader.load("change", only_if_changed=True).ok
    assert (1, 1) == (reloader.reloads, reloader.failures)
    assert "cannot read" in reloader.last_error
    assert False is reloader.load("http").ok  # asked for: tried and counted
    assert (2, 2) == (reloader.reloads, reloader.failures)
