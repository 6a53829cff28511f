"""Rule files (a file or a ConfigMap directory) to a checked, compiled RuleSet.

Every problem is reported, not just the first, as FILE:LINE:COL at the offending key or value,
with the source, rule or detector it belongs to. Loading either returns a complete RuleSet or
raises RuleError: a bad rule never reaches the streaming path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from logsidecar.errors import RuleError, RuleProblem
from logsidecar.rules.conditions import Match, compile_match
from logsidecar.rules.detectorcheck import check_detector, explain, strip_tag
from logsidecar.rules.detectorlint import lint_detectors
from logsidecar.rules.lint import LintRule, Warn, lint
from logsidecar.rules.model import RuleFile
from logsidecar.rules.regex import compile_pattern
from logsidecar.rules.ruleset import CompiledRule, RuleSet
from logsidecar.rules.yamlpos import Path, Positions, YamlProblem, load_yaml

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
RESERVED_PREFIX = "logsidecar_"
_KINDS = ("counter", "gauge", "histogram")
_ITEMS = {"sources": "source", "rules": "rule", "detectors": "detector"}


def rule_files(path: str | FsPath) -> list[FsPath]:
    """The files a rules path stands for: the file itself, or a directory's *.yaml / *.yml —
    not hidden entries (a ConfigMap's `..data`), and not rule unit tests (`*.test.yaml`), which
    live beside the rules they test."""
    root = FsPath(path)
    if root.is_dir():
        return sorted(
            p
            for p in root.iterdir()
            if not p.name.startswith(".")
            and p.suffix in (".yaml", ".yml")
            and not p.stem.endswith(".test")
            and p.is_file()
        )
    return [root]


def read_rule_texts(path: str | FsPath) -> tuple[list[tuple[str, str]], str]:
    """(file name, text) pairs and their combined digest. Raises RuleError when unreadable."""
    files = rule_files(path)
    if not files:
        raise RuleError([RuleProblem(str(path), 1, 1, "", "no *.yaml or *.yml rule files here")])
    texts: list[tuple[str, str]] = []
    digest = hashlib.sha256()
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleError([RuleProblem(str(file), 1, 1, "", f"cannot read: {exc}")]) from None
        texts.append((str(file), text))
        digest.update(file.name.encode() + b"\0" + text.encode() + b"\0")
    return texts, digest.hexdigest()


@dataclass
class _File:
    name: str
    data: Any
    positions: Positions
    model: RuleFile | None = None


class _Checker:
    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []

    def report(self, f: _File, path: Path, message: str, at_key: bool = False) -> None:
        line, col = f.positions.at(path, at_key)
        self.problems.append(RuleProblem(f.name, line, col, _item_name(f.data, path), message))

    # -- shape, by the pydantic models -------------------------------------------------------
    def validate(self, f: _File) -> None:
        if not isinstance(f.data, dict):
            self.report(f, (), "a rule file is a mapping with `version: 1` and sources/rules")
            return
        try:
            f.model = RuleFile.model_validate(f.data)
        except ValidationError as exc:
            seen: set[Path] = set()
            for err in exc.errors():
                loc = strip_tag(tuple(err["loc"]))
                kind = err["type"]
                spot = explain(loc, err)
                if spot is not None:
                    self.report(f, *spot)
                    continue
                if kind == "extra_forbidden":
                    path = f.positions.resolve(loc)
                    self.report(f, path, f"unknown key {loc[-1]!r}", at_key=True)
                    continue
                if kind == "missing":
                    self.report(f, loc[:-1], f"missing required key {loc[-1]!r}")
                    continue
                path = f.positions.resolve(loc)
                if path in seen and len(path) < len(loc):
                    continue  # one message per spot for union alternatives
                seen.add(path)
                message = str(err["msg"]).removeprefix("Value error, ")
                self.report(f, path, message)

    # -- meaning, across all files ------------------------------------------------------------
    def check(self, files: list[_File]) -> dict[str, tuple[object, ...]]:
        names: dict[tuple[str, str], tuple[_File, Path]] = {}
        lists: dict[str, tuple[object, ...]] = {}
        for f in files:
            for kind in _ITEMS:
                for i, item in _entries(f.data, kind):
                    name = item.get("name")
                    if not isinstance(name, str):
                        continue
                    if (kind, name) in names:
                        other, _ = names[(kind, name)]
                        self.report(
                            f,
                            (kind, i, "name"),
                            f"duplicate {_ITEMS[kind]} name (also in {other.name})",
                        )
                    else:
                        names[(kind, name)] = (f, (kind, i))
            raw_lists = f.data.get("lists") if isinstance(f.data, dict) else None
            if isinstance(raw_lists, dict):
                for key, values in raw_lists.items():
                    if key in lists:
                        self.report(f, ("lists", key), f"duplicate list {key!r}", at_key=True)
                    elif isinstance(values, list):
                        lists[str(key)] = tuple(values)
        sources = {n for (k, n) in names if k == "sources"}
        rules = {n for (k, n) in names if k == "rules"}
        for f in files:
            for i, src in _entries(f.data, "sources"):
                for key in ("pattern",):
                    self.regex(f, ("sources", i, key), src.get(key))
                multiline = src.get("multiline")
                if isinstance(multiline, dict):
                    self.regex(f, ("sources", i, "multiline", "start"), multiline.get("start"))
            for i, rule in _entries(f.data, "rules"):
                ref = rule.get("source")
                if isinstance(ref, str) and ref not in sources:
                    self.report(f, ("rules", i, "source"), f"unknown source {ref!r}")
            for i, det in _entries(f.data, "detectors"):
                check_detector(det, ("detectors", i), rules, sources, partial(self.report, f))
        self.metrics(files)
        return lists

    def regex(self, f: _File, path: Path, pattern: object) -> None:
        if isinstance(pattern, str):
            try:
                compile_pattern(pattern)
            except ValueError as exc:
                self.report(f, path, str(exc))

    def metrics(self, files: list[_File]) -> None:
        first: dict[str, tuple[str, frozenset[str], object, str]] = {}
        for f in files:
            for i, rule in _entries(f.data, "rules"):
                metrics = rule.get("metrics")
                if not isinstance(metrics, list):
                    continue
                for j, metric in enumerate(metrics):
                    if isinstance(metric, dict):
                        self.metric(f, ("rules", i, "metrics", j), metric, first)

    def metric(
        self,
        f: _File,
        path: Path,
        metric: dict[str, Any],
        first: dict[str, tuple[str, frozenset[str], object, str]],
    ) -> None:
        kinds = [k for k in _KINDS if isinstance(metric.get(k), str)]
        if len(kinds) != 1:
            return
        kind = kinds[0]
        name = metric[kind]
        at = (*path, kind)
        if not METRIC_NAME.match(name):
            self.report(f, at, f"invalid metric name {name!r}")
            return
        if name.startswith(RESERVED_PREFIX):
            self.report(f, at, f"metric names starting with {RESERVED_PREFIX!r} are reserved")
        if kind == "counter" and not name.endswith("_total"):
            self.report(f, at, f"counter {name!r} must end in _total")
        if kind != "counter" and name.endswith(("_total", "_bucket", "_count", "_sum")):
            self.report(f, at, f"a {kind} name must not end in _total, _bucket, _count or _sum")
        labels = metric.get("labels", [])
        label_names: list[str] = []
        if isinstance(labels, list):
            label_names = [x for x in labels if isinstance(x, str)]
            spots = [(*path, "labels", k) for k in range(len(labels))]
        elif isinstance(labels, dict):
            label_names = [str(x) for x in labels]
            spots = [(*path, "labels", k) for k in labels]
        else:
            spots = []
        for label, spot in zip(label_names, spots, strict=False):
            if not LABEL_NAME.match(label) or label.startswith("__"):
                self.report(
                    f, spot, f"invalid label name {label!r}", at_key=isinstance(labels, dict)
                )
            elif kind == "histogram" and label == "le":
                self.report(f, spot, "`le` is reserved for histogram buckets")
        if len(set(label_names)) != len(label_names):
            self.report(f, (*path, "labels"), "duplicate label names")
        shape = (kind, frozenset(label_names), metric.get("buckets"), f.name)
        if name not in first:
            first[name] = shape
            return
        seen_kind, seen_labels, seen_buckets, where = first[name]
        if seen_kind != kind:
            self.report(f, at, f"metric {name!r} is a {seen_kind} elsewhere ({where})")
        elif seen_labels != shape[1]:
            self.report(f, at, f"metric {name!r} has other labels elsewhere ({where})")
        elif kind == "histogram" and seen_buckets != shape[2]:
            self.report(f, at, f"histogram {name!r} has other buckets elsewhere ({where})")


def _entries(data: Any, kind: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(kind) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def _item_name(data: Any, path: Path) -> str:
    if len(path) >= 2 and path[0] in _ITEMS and isinstance(path[1], int):
        items = data.get(path[0]) if isinstance(data, dict) else None
        if isinstance(items, list) and path[1] < len(items):
            item = items[path[1]]
            name = item.get("name") if isinstance(item, dict) else None
            label = _ITEMS[str(path[0])]
            return f"{label} {name!r}" if isinstance(name, str) else f"{label} #{path[1] + 1}"
    if len(path) >= 2 and path[0] == "lists":
        return f"list {path[1]!r}"
    return ""


def parse_rule_texts(texts: Sequence[tuple[str, str]], digest: str) -> RuleSet:
    checker = _Checker()
    files: list[_File] = []
    for name, text in texts:
        try:
            data, positions = load_yaml(text)
        except YamlProblem as exc:
            checker.problems.append(RuleProblem(name, exc.line, exc.column, "", exc.message))
            continue
        f = _File(name, data, positions)
        checker.validate(f)
        files.append(f)
    lists = checker.check(files)
    compiled: list[CompiledRule] = []
    linted: list[LintRule] = []
    for f in files:

        def report(path: Path, message: str, at_key: bool, f: _File = f) -> None:
            checker.report(f, path, message, at_key)

        for i, raw in _entries(f.data, "rules"):
            match = raw.get("match")
            block = Match(None, frozenset(), frozenset())
            if match is not None:
                block = compile_match(match, ("rules", i, "match"), lists, report)
            if f.model is not None and i < len(f.model.rules):
                rule = CompiledRule(f.model.rules[i], block.predicate, block.captured)
                compiled.append(rule)
                linted.append(LintRule(rule.rule, raw, ("rules", i), block, _warner(checker, f)))
    if checker.problems:
        raise RuleError(checker.problems)
    models = [f.model for f in files if f.model is not None]
    sources = tuple(s for m in models for s in m.sources)
    raw_sources = [
        (src, _warner(checker, f), ("sources", i))
        for f in files
        for i, src in _entries(f.data, "sources")
    ]
    raw_detectors = [
        (det, _warner(checker, f), ("detectors", i))
        for f in files
        for i, det in _entries(f.data, "detectors")
    ]
    warnings = [*lint(sources, raw_sources, linted), *lint_detectors(raw_detectors)]
    return RuleSet(
        sources=sources,
        lists=lists,
        rules=tuple(compiled),
        detectors=tuple(d for m in models for d in m.detectors),
        files=tuple(name for name, _ in texts),
        digest=digest,
        warnings=tuple(sorted(warnings)),
    )


def _warner(checker: _Checker, f: _File) -> Warn:
    def warn(path: Path, message: str, at_key: bool = False) -> RuleProblem:
        line, col = f.positions.at(path, at_key)
        return RuleProblem(f.name, line, col, _item_name(f.data, path), f"warning: {message}")

    return warn


def load_rules(path: str | FsPath) -> RuleSet:
    """Load and check the rules at `path` (a file or directory). Raises RuleError."""
    texts, digest = read_rule_texts(path)
    return parse_rule_texts(texts, digest)
