"""The reloader: reads the rule files, and puts a new rule set in force when they change.

Reloads come from a change seen on disk (the rules directory's watch, or the periodic re-hash),
from SIGHUP, and from `POST /-/reload`. Only the processing thread loads and applies rules; the
other threads ask through `Requests`, and an HTTP caller waits for the answer to its own request.
A rule set that does not load leaves the running one in force; when the files on disk come back
to the digest of the rules that run, the last reload counts as successful again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from logsidecar.clock import Clock
from logsidecar.errors import RuleError
from logsidecar.rules.load import parse_rule_texts, read_rule_texts
from logsidecar.rules.ruleset import RuleSet, diff

log = structlog.get_logger("logsidecar")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


class Requests:
    """Reload requests from other threads, each answered by the processing thread."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        self._cond = threading.Condition()
        self._asked = 0  # requests made
        self._answered = 0  # requests answered (all those asked before the last answer)
        self._answer = Outcome(True, "")
        self._reasons: list[str] = []
        self._taking = 0  # requests covered by the reload in progress

    def ask(self, reason: str) -> int:
        with self._cond:
            self._asked += 1
            self._reasons.append(reason)
            ticket = self._asked
        self._wake()
        return ticket

    def ask_and_wait(self, reason: str, timeout: float) -> Outcome:
        """Ask, then wait for the answer to this request (not an earlier one)."""
        ticket = self.ask(reason)
        with self._cond:
            if not self._cond.wait_for(lambda: self._answered >= ticket, timeout=timeout):
                return Outcome(False, f"no answer within {timeout:g}s: the reload is still queued")
            return self._answer

    def take(self) -> list[str]:
        """The reasons of the requests made since the last take (processing thread)."""
        with self._cond:
            reasons, self._reasons = self._reasons, []
            self._taking = self._asked
            return reasons

    def answer(self, outcome: Outcome) -> None:
        with self._cond:
            self._answered = self._taking
            self._answer = outcome
            self._cond.notify_all()


class Reloader:
    def __init__(self, rules_path: str, clock: Clock, apply: Callable[[RuleSet], None]) -> None:
        self.rules_path = rules_path
        self.clock = clock
        self._apply = apply
        self.running: RuleSet | None = None
        self.reloads = 0  # attempts after start-up
        self.failures = 0
        self.last_ok = False
        self.last_success = 0.0
        self.last_error = ""
        self._failed_digest = ""

    def load(self, reason: str, only_if_changed: bool = False) -> Outcome:
        """Read the rules and put them in force when they load. `only_if_changed`: do nothing
        when the files hold the rules that run, or the same broken ones already reported."""
        first = self.running is None
        counted = reason != "startup"  # a successful load at start-up is not a reload
        try:
            texts, digest = read_rule_texts(self.rules_path)
            running = self.running.digest if self.running is not None else None
            if only_if_changed and digest == running:
                if not self.last_ok:  # the files came back to what runs: nothing is wrong now
                    self._back_to_running(reason)
                return Outcome(True, "rules unchanged")
            if only_if_changed and digest == self._failed_digest:
                return Outcome(False, self.last_error)
            self._failed_digest = digest
            ruleset = parse_rule_texts(texts, digest)
        except RuleError as exc:
            if only_if_changed and not self.last_ok and str(exc) == self.last_error:
                return Outcome(False, self.last_error)  # the same problem, already reported
            return self._failed(reason, exc)
        self.reloads += counted
        self._failed_digest = ""
        changes = diff(self.running or RuleSet.empty(), ruleset)
        self._apply(ruleset)
        self.running = ruleset
        self.last_ok, self.last_error = True, ""
        self.last_success = self.clock.time()
        log.info(
            "rules_loaded" if first else "rules_reloaded",
            reason=reason,
            digest=ruleset.digest[:12],
            files=list(ruleset.files),
            added=list(changes.added),
            removed=list(changes.removed),
            changed=list(changes.changed),
        )
        return Outcome(True, f"rules loaded: {ruleset.digest[:12]}")

    def _failed(self, reason: str, exc: RuleError) -> Outcome:
        # a failed load counts, at start-up too: the sidecar then runs without rules and the
        # failure metrics are how an alert finds it
        self.reloads += 1
        self.failures += 1
        self.last_ok, self.last_error = False, str(exc)
        log.error(
            "rules_invalid",
            reason=reason,
            kept=self.running.digest[:12] if self.running is not None else None,
            errors=[str(p) for p in exc.problems],
        )
        return Outcome(False, str(exc))

    def _back_to_running(self, reason: str) -> None:
        assert self.running is not None
        self.last_ok, self.last_error = True, ""
        self._failed_digest = ""
        log.info("rules_match_running", reason=reason, digest=self.running.digest[:12])
