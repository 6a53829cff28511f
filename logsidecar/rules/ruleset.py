"""A loaded rule set: the rule file's models with each rule's compiled condition.

What the engine, the metric definitions and the service need of the rules, and no more: this
module knows nothing of YAML or positions (that is `rules.load`), so the runtime depends on the
model, not on the loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logsidecar.errors import RuleProblem
from logsidecar.rules.conditions import Predicate
from logsidecar.rules.model import Detector, Rule, Source


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    predicate: Predicate | None  # None: every event of its sources matches
    captured: frozenset[str] = frozenset()  # fields the predicate adds to the event it is given

    @property
    def captures(self) -> bool:
        return bool(self.captured)


@dataclass(frozen=True)
class RuleSet:
    sources: tuple[Source, ...]
    lists: Mapping[str, tuple[object, ...]]
    rules: tuple[CompiledRule, ...]
    detectors: tuple[Detector, ...]
    files: tuple[str, ...]
    digest: str
    warnings: tuple[RuleProblem, ...] = ()  # lint: legal, but probably not what was meant

    @classmethod
    def empty(cls) -> RuleSet:
        """No sources, no rules: what runs while no rule file has loaded yet."""
        return cls((), {}, (), (), (), "")


def _lists_named(block: object, lists: Mapping[str, tuple[object, ...]]) -> set[str]:
    if isinstance(block, str) and block.startswith("$") and block[1:] in lists:
        return {block[1:]}
    if isinstance(block, Mapping):
        return set().union(*(_lists_named(v, lists) for v in block.values()))
    if isinstance(block, list | tuple):
        return set().union(*(_lists_named(v, lists) for v in block))
    return set()


def rule_inputs(ruleset: RuleSet) -> dict[str, dict[str, Any]]:
    """What decides which events a rule matches, per rule, as JSON-able data: its source, its
    `match`, and the lists it names. A detector reading a rule whose inputs changed is a changed
    detector: its windows would mix two meanings."""
    out: dict[str, dict[str, Any]] = {}
    for compiled in ruleset.rules:
        rule = compiled.rule
        named = sorted(_lists_named(rule.match, ruleset.lists))
        out[rule.name] = {
            "source": rule.source,
            "match": rule.match,
            "lists": {name: list(ruleset.lists[name]) for name in named},
        }
    return out


@dataclass(frozen=True)
class RuleSetDiff:
    """What a reload changes, by name: sources, rules and detectors added, removed, changed."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()


def diff(old: RuleSet, new: RuleSet) -> RuleSetDiff:
    """Names are given as `kind/name` (`rule/http_5xx`), in order."""

    def items(rs: RuleSet) -> dict[str, object]:
        found: dict[str, object] = {f"source/{s.name}": s for s in rs.sources}
        found.update({f"rule/{r.rule.name}": r.rule for r in rs.rules})
        found.update({f"detector/{d.name}": d for d in rs.detectors})
        return found

    before, after = items(old), items(new)
    return RuleSetDiff(
        tuple(sorted(after.keys() - before.keys())),
        tuple(sorted(before.keys() - after.keys())),
        tuple(sorted(k for k in after.keys() & before.keys() if after[k] != before[k])),
    )
