"""A test file to a checked, runnable `Suite`, or every problem in it at its FILE:LINE:COL.

Like `logsidecar check`, all problems are reported at once, at the offending key or value: the
file's shape (the `model`), then what needs the rule files: sources of the input, series
selectors, detectors and their labels, `generate` placeholders. Problems of the rule files
themselves are reported at their own positions. Raises RuleError, like rule loading.
"""

from __future__ import annotations

import hashlib
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from logsidecar.detect.bank import evaluated
from logsidecar.errors import RuleError, RuleProblem
from logsidecar.metrics.defs import SELF_METRICS, MetricDef, rule_metric_defs
from logsidecar.rules.load import parse_rule_texts, read_rule_texts
from logsidecar.rules.ruleset import RuleSet
from logsidecar.rules.yamlpos import Path, Positions, YamlProblem, load_yaml
from logsidecar.ruletest.model import Case, RuleTests
from logsidecar.ruletest.plan import (
    AnomalyAssertion,
    CasePlan,
    FiringAlert,
    MetricAssertion,
    Suite,
    Where,
    batches,
    generated,
    render,
    split_lines,
)
from logsidecar.ruletest.selectors import SelectorError, Series, parse_selector, resolve

MAX_LINES = 2_000_000  # input lines one test may have, generated ones included


class _Reporter:
    def __init__(self, file: str, data: Any, positions: Positions) -> None:
        self.file = file
        self.data = data
        self.positions = positions
        self.problems: list[RuleProblem] = []

    def __call__(self, path: Path, message: str, at_key: bool = False) -> None:
        line, col = self.positions.at(path, at_key)
        self.problems.append(RuleProblem(self.file, line, col, self._item(path), message))

    def where(self, path: Path) -> Where:
        line, col = self.positions.at(path)
        return Where(self.file, line, col)

    def _item(self, path: Path) -> str:
        if len(path) >= 2 and path[0] == "tests" and isinstance(path[1], int):
            tests = self.data.get("tests") if isinstance(self.data, dict) else None
            if isinstance(tests, list) and path[1] < len(tests):
                name = tests[path[1]].get("name") if isinstance(tests[path[1]], dict) else None
                return f"test {name!r}" if isinstance(name, str) else f"test #{path[1] + 1}"
        return ""

    def validate(self) -> RuleTests | None:
        if not isinstance(self.data, dict):
            self((), "a test file is a mapping with `rule_files` and `tests`")
            return None
        try:
            return RuleTests.model_validate(self.data)
        except ValidationError as exc:
            seen: set[Path] = set()
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if p != "[key]")
                if err["type"] == "extra_forbidden":
                    self(self.positions.resolve(loc), f"unknown key {loc[-1]!r}", at_key=True)
                elif err["type"] == "missing":
                    self(loc[:-1], f"missing required key {loc[-1]!r}")
                else:
                    path = self.positions.resolve(loc)
                    if path not in seen:
                        seen.add(path)
                        self(path, str(err["msg"]).removeprefix("Value error, "))
            return None


def load_suite(file: str | FsPath) -> Suite:
    """Load the test file `file` and its rule files. Raises RuleError."""
    name = str(file)
    try:
        text = FsPath(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError([RuleProblem(name, 1, 1, "", f"cannot read: {exc}")]) from None
    try:
        data, positions = load_yaml(text)
    except YamlProblem as exc:
        raise RuleError([RuleProblem(name, exc.line, exc.column, "", exc.message)]) from None
    report = _Reporter(name, data, positions)
    model = report.validate()
    ruleset = _rules(FsPath(file).parent, data, report)
    if model is None or ruleset is None or report.problems:
        raise RuleError(report.problems or [RuleProblem(name, 1, 1, "", "rule files not loaded")])
    defs = {d.name: d for d in (*SELF_METRICS, *rule_metric_defs(ruleset))}
    cases = tuple(
        _case(case, ("tests", i), ruleset, defs, report) for i, case in enumerate(model.tests)
    )
    names: dict[str, int] = {}
    for i, case in enumerate(model.tests):
        if case.name in names:
            report(
                ("tests", i, "name"), f"another test has this name (test #{names[case.name] + 1})"
            )
        names.setdefault(case.name, i)
    if report.problems:
        raise RuleError(report.problems)
    return Suite(name, ruleset, model.evaluation_interval, cases)


def _rules(base: FsPath, data: Any, report: _Reporter) -> RuleSet | None:
    """The rule files named by `rule_files` (relative to the test file), merged."""
    entries = data.get("rule_files") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return None
    texts: list[tuple[str, str]] = []
    for k, entry in enumerate(entries):
        path = FsPath(entry) if FsPath(entry).is_absolute() else base / entry
        if not path.exists():
            report(("rule_files", k), f"no such rule file: {path}")
            continue
        try:
            found, _ = read_rule_texts(path)
        except RuleError as exc:
            report.problems.extend(exc.problems)
            continue
        texts.extend(found)
    if report.problems or not texts:
        return None
    digest = hashlib.sha256("\0".join(t for _, t in texts).encode()).hexdigest()
    try:
        return parse_rule_texts(texts, digest)
    except RuleError as exc:
        report.problems.extend(exc.problems)
        return None


def _case(
    case: Case, at: Path, ruleset: RuleSet, defs: dict[str, MetricDef], report: _Reporter
) -> CasePlan:
    sources = {s.name for s in ruleset.sources}
    entries: list[tuple[float, str, str]] = []
    for j, spec in enumerate(case.input):
        where = (*at, "input", j)
        if spec.source not in sources:
            known = ", ".join(sorted(sources)) or "none"
            report((*where, "source"), f"unknown source {spec.source!r} (sources: {known})")
        for k, line in enumerate(spec.lines):
            entries.extend((line.at, spec.source, text) for text in split_lines(line.line))
            if len(entries) > MAX_LINES:
                report((*where, "lines", k), f"more than {MAX_LINES} input lines in one test")
                break
        for k, gen in enumerate(spec.generate):
            try:
                render(gen.line, 0, case.start)
            except ValueError as exc:
                report((*where, "generate", k, "line"), f"bad placeholder: {exc}")
                continue
            if len(entries) + gen.count > MAX_LINES:
                report(
                    (*where, "generate", k, "count"),
                    f"more than {MAX_LINES} input lines in one test",
                )
                continue
            entries.extend((t, spec.source, text) for t, text in generated(gen, case.start))
    metrics = tuple(
        _metrics(check.at, check.expect, check.absent, (*at, "metrics", j), defs, report)
        for j, check in enumerate(case.metrics)
    )
    anomalies = tuple(
        AnomalyAssertion(
            check.at,
            check.detector,
            tuple(
                FiringAlert(
                    tuple(sorted(f.labels.items())),
                    None if f.annotations is None else tuple(sorted(f.annotations.items())),
                )
                for f in check.firing
            ),
            report.where((*at, "anomalies", j)),
        )
        for j, check in enumerate(case.anomalies)
    )
    for j, check in enumerate(case.anomalies):
        _check_detector(
            check.detector, [f.labels for f in check.firing], (*at, "anomalies", j), ruleset, report
        )
    return CasePlan(case.name, case.start, batches(entries), metrics, anomalies, report.where(at))


def _metrics(
    at: float,
    expect: dict[str, float],
    absent: list[str],
    path: Path,
    defs: dict[str, MetricDef],
    report: _Reporter,
) -> MetricAssertion:
    def series(text: str, spot: Path, at_key: bool) -> Series | None:
        try:
            return resolve(parse_selector(text), defs)
        except SelectorError as exc:
            report(spot, str(exc), at_key)
            return None

    expected = [(series(k, (*path, "expect", k), True), v) for k, v in expect.items()]
    gone = [series(k, (*path, "absent", i), False) for i, k in enumerate(absent)]
    return MetricAssertion(
        at,
        tuple((s, v) for s, v in expected if s is not None),
        tuple(s for s in gone if s is not None),
        report.where(path),
    )


def _check_detector(
    name: str, firing: list[dict[str, str]], path: Path, ruleset: RuleSet, report: _Reporter
) -> None:
    found = [d for d in ruleset.detectors if d.name == name]
    if not found:
        known = ", ".join(d.name for d in ruleset.detectors) or "none"
        report((*path, "detector"), f"unknown detector {name!r} (detectors: {known})")
        return
    detector = found[0]
    if not evaluated(detector):
        report((*path, "detector"), f"{detector.type} detectors are not evaluated yet")
        return
    names = [*getattr(detector, "group_by", []), *detector.labels]
    for k, labels in enumerate(firing):
        if set(labels) != set(names):
            has = ", ".join(sorted(names)) or "none"
            report(
                (*path, "firing", k, "labels"),
                f"{name}'s alerts have exactly the labels: {has} (group_by and static labels);"
                f" these have {', '.join(sorted(labels)) or 'none'}",
            )
