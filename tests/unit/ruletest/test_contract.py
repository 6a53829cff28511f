"""The contract's rule-test example (RULES.md, "Rule unit tests"), verbatim in
contract/contract.test.yaml, against the contract's example rule file (contract/rules.yaml: the
golden contract rule file without its `multiline` block, see its header)."""

from __future__ import annotations

import re
from pathlib import Path

from logsidecar.ruletest.load import load_suite
from logsidecar.ruletest.runner import CaseResult, run_suite

HERE = Path(__file__).resolve().parent / "contract"
GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "contract" / "rules.yaml"


def test_the_contract_example_passes() -> None:
    suite = load_suite(HERE / "contract.test.yaml")
    assert [CaseResult("burst fires after for", ())] == run_suite(suite)


def test_the_rule_file_is_the_golden_contract_one_without_multiline() -> None:
    golden = GOLDEN.read_text().split("version: 1\n", 1)[1]
    mine = (HERE / "rules.yaml").read_text().split("version: 1\n", 1)[1]
    assert re.sub(r"    multiline:.*?\n(?=    timestamp)", "", golden, flags=re.S) == mine
    assert "multiline" in golden


def test_the_contract_example_can_fail(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text((HERE / "rules.yaml").read_text())
    text = (HERE / "contract.test.yaml").read_text().replace("{at: 3m,", "{at: 2m47s,")
    (tmp_path / "t.test.yaml").write_text(text)
    (result,) = run_suite(load_suite(tmp_path / "t.test.yaml"))
    (failure,) = result.failures
    assert 167.0 == failure.at  # pending since 1m48s, for 1m: firing from 2m48s
