"""`logsidecar test FILE...`: exit codes, the per-file lines, broken files, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logsidecar.cli import main
from tests.unit.ruletest.files import one_test, write_tests

PASSING = """\
input: [{source: app, lines: [{at: 1s, line: status=200}]}]
metrics: [{at: 1s, expect: {'requests_total{status="200"}': 1}}]
"""


def test_all_passing_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_tests(tmp_path, one_test(PASSING))
    assert 0 == main(["test", str(path)])
    assert f"{path}: OK: 1 test passed\n" == capsys.readouterr().out


def test_a_failure_exits_one_with_its_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_tests(tmp_path, one_test(PASSING))
    bad = tmp_path / "bad.test.yaml"
    bad.write_text(good.read_text().replace("}': 1}", "}': 2}"))
    assert 1 == main(["test", str(good), str(bad)])
    assert (
        f"{good}: OK: 1 test passed\n"
        f"{bad}:6:15: test 't': metrics at 1s differ (- expected, + actual):\n"
        '  - requests_total{status="200"} 2\n'
        '  + requests_total{status="200"} 1\n'
        f"{bad}: FAILED: 1 of 1 tests failed: 't'\n"
    ) == capsys.readouterr().out


def test_a_broken_file_fails_with_positions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_tests(tmp_path, one_test(PASSING.replace("source: app", "source: web")))
    assert 1 == main(["test", str(path)])
    assert (
        f"{path}:5:22: test 't': unknown source 'web' (sources: app, stamped, trace)\n"
        f"{path}: FAILED: the test file does not load\n"
    ) == capsys.readouterr().out
    assert 1 == main(["test", str(tmp_path / "missing.test.yaml")])
    assert "missing.test.yaml:1:1: cannot read: [Errno 2] No such file or directory" in (
        capsys.readouterr().out
    )


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_tests(tmp_path, one_test(PASSING))
    bad = tmp_path / "bad.test.yaml"
    bad.write_text(good.read_text().replace("}': 1}", "}': 2}"))
    assert 1 == main(["test", "--format", "json", str(good), str(bad)])
    doc = json.loads(capsys.readouterr().out)
    assert False is doc["ok"]
    assert [True, False] == [f["ok"] for f in doc["files"]]
    (failure,) = doc["files"][1]["tests"][0]["failures"]
    assert [{"series": 'requests_total{status="200"}', "expected": 2, "actual": 1}] == failure[
        "series"
    ]
