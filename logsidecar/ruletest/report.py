"""The `logsidecar test FILE...` command: load, run, print; exit 0 when every test passes.

A test file that does not load (its YAML, its shape, its rule files, a selector or detector that
names nothing) fails like a failed test, its problems printed as FILE:LINE:COL: message, as
`logsidecar check` prints them. Text output ends each file with `FILE: OK: ...` or
`FILE: FAILED: ...`; `--format json` prints one document with every file, test and failure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from logsidecar.errors import RuleError, RuleProblem
from logsidecar.ruletest.diff import as_json, render
from logsidecar.ruletest.load import load_suite
from logsidecar.ruletest.runner import CaseResult, run_suite

Format = Literal["text", "json"]


@dataclass
class FileResult:
    file: str
    problems: list[RuleProblem] = field(default_factory=list)  # the file did not load
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.ok for c in self.cases)


def check_file(file: str) -> FileResult:
    """Load and run one test file."""
    try:
        suite = load_suite(file)
    except RuleError as exc:
        return FileResult(file, problems=exc.problems)
    return FileResult(file, cases=run_suite(suite))


def text(result: FileResult) -> str:
    if result.problems:
        lines = [str(p) for p in result.problems]
        return "\n".join([*lines, f"{result.file}: FAILED: the test file does not load"]) + "\n"
    out = [render(f) for case in result.cases for f in case.failures]
    total = len(result.cases)
    failed = [c.name for c in result.cases if not c.ok]
    if failed:
        names = ", ".join(repr(n) for n in failed)
        out.append(f"{result.file}: FAILED: {len(failed)} of {total} tests failed: {names}\n")
    else:
        out.append(f"{result.file}: OK: {total} test{'s' if total != 1 else ''} passed\n")
    return "".join(out)


def as_document(results: Sequence[FileResult]) -> dict[str, Any]:
    return {
        "ok": all(r.ok for r in results),
        "files": [
            {
                "file": r.file,
                "ok": r.ok,
                "problems": [
                    {"file": p.file, "line": p.line, "column": p.column, "message": str(p)}
                    for p in r.problems
                ],
                "tests": [
                    {"name": c.name, "ok": c.ok, "failures": [as_json(f) for f in c.failures]}
                    for c in r.cases
                ],
            }
            for r in results
        ],
    }


def run_tests(files: Sequence[str], out: TextIO, fmt: Format = "text") -> int:
    """The command: 0 when every test of every file passed, else 1."""
    results: list[FileResult] = []
    for file in files:
        result = check_file(file)
        results.append(result)
        if fmt == "text":
            out.write(text(result))
    if fmt == "json":
        out.write(json.dumps(as_document(results), indent=2) + "\n")
    return 0 if all(r.ok for r in results) else 1
