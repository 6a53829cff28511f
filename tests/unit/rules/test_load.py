from pathlib import Path

import pytest

from logsidecar.errors import RuleError
from logsidecar.rules.load import load_rules

REPO = Path(__file__).resolve().parents[3]
SHIPPED = sorted(p for p in (REPO / "rules").glob("*.yaml") if not p.name.endswith(".test.yaml"))

GOOD = """\
version: 1
sources:
  - name: app
    paths: ["/var/log/app/*.log"]
rules:
  - name: errors
    match: {line: {regex: 'ERROR'}}
    metrics:
      - counter: app_error_lines_total
"""


def problems(tmp_path: Path, text: str, name: str = "rules.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(RuleError) as caught:
        load_rules(path)
    return [str(p).removeprefix(str(tmp_path) + "/") for p in caught.value.problems]


def test_a_good_file_loads(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(GOOD)
    ruleset = load_rules(tmp_path / "rules.yaml")
    assert ["app"] == [s.name for s in ruleset.sources]
    assert ["errors"] == [r.rule.name for r in ruleset.rules]


def test_bad_yaml_names_line_and_column(tmp_path: Path) -> None:
    found = problems(tmp_path, "version: 1\nrules:\n  - name: [unclosed\n")
    assert 1 == len(found)
    assert found[0].startswith("rules.yaml:4:1: invalid YAML")


def test_unknown_key_points_at_the_key(tmp_path: Path) -> None:
    text = GOOD.replace(
        "      - counter: app_error_lines_total\n",
        "      - counter: x_total\n        lables: [a]\n",
    )
    assert ["rules.yaml:10:9: rule 'errors': unknown key 'lables'"] == problems(tmp_path, text)


def test_bad_regex_points_at_the_value(tmp_path: Path) -> None:
    text = GOOD.replace("regex: 'ERROR'", "regex: '(unclosed'")
    found = problems(tmp_path, text)
    assert 1 == len(found)
    assert found[0].startswith("rules.yaml:7:27: rule 'errors': invalid regex '(unclosed'")


def test_a_regex_re2_cannot_run_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("regex: 'ERROR'", r"regex: '(a)\1'"))
    assert [
        r"rules.yaml:7:27: rule 'errors': regex '(a)\1' refused: a backreference is not "
        "supported (every pattern must also run on the linear-time engine, RE2)"
    ] == found


def test_a_catastrophic_regex_loads_and_runs_on_the_linear_engine(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(GOOD.replace("regex: 'ERROR'", "regex: '(a+)+$'"))
    ruleset = load_rules(tmp_path / "rules.yaml")
    assert [
        "rules.yaml:7:27: rule 'errors': warning: regex '(a+)+$' can backtrack exponentially: "
        "every line runs on the slower linear-time engine (rewrite the ambiguous repeat to keep "
        "it fast)"
    ] == [str(w).removeprefix(str(tmp_path) + "/") for w in ruleset.warnings]


def test_unknown_source_points_at_the_reference(tmp_path: Path) -> None:
    text = GOOD.replace("  - name: errors\n", "  - name: errors\n    source: nope\n")
    assert ["rules.yaml:7:13: rule 'errors': unknown source 'nope'"] == problems(tmp_path, text)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """\
version: 1
sources:
  - name: app
    paths: ["/x/*.log"]
    format: regex
    pattern: '(?P<broken'
rules:
  - name: r1
    source: ghost
    match: {status: {between: 1}}
    metrics:
      - counter: no_suffix
        labels: [ok, "bad-label"]
  - name: r1
    metrics:
      - gauge: g
"""
    assert [
        "rules.yaml:6:14: source 'app': invalid regex '(?P<broken': missing >, unterminated name at position 4",
        "rules.yaml:9:13: rule 'r1': unknown source 'ghost'",
        "rules.yaml:10:22: rule 'r1': unknown operator 'between' (one of: eq, ne, lt, lte, gt, gte, in, not_in, regex, contains, startswith, endswith, exists)",
        "rules.yaml:12:18: rule 'r1': counter 'no_suffix' must end in _total",
        "rules.yaml:13:22: rule 'r1': invalid label name 'bad-label'",
        "rules.yaml:14:11: rule 'r1': duplicate rule name (also in "
        + str(tmp_path / "rules.yaml")
        + ")",
        "rules.yaml:16:9: rule 'r1': a gauge with action `set` needs `value`",
    ] == problems(tmp_path, text)


def test_a_directory_is_merged_and_names_are_unique_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yml").write_text(GOOD.replace("app_error_lines_total", "b_total"))
    (tmp_path / "..data").mkdir()
    (tmp_path / ".hidden.yaml").write_text("not: [valid")
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path)
    assert [
        (str(tmp_path / "b.yml"), 3, 11, "source 'app'"),
        (str(tmp_path / "b.yml"), 6, 11, "rule 'errors'"),
    ] == [(p.file, p.line, p.column, p.item) for p in caught.value.problems]


def test_conflicting_metric_types_are_an_error(tmp_path: Path) -> None:
    text = (
        GOOD
        + "  - name: other\n    metrics:\n      - gauge: app_error_lines_total\n        value: n\n"
    )
    found = problems(tmp_path, text)
    assert (
        "rules.yaml:12:16: rule 'other': metric 'app_error_lines_total' is a counter elsewhere"
        in found[-1]
    )


def test_bad_duration_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    paths:", "    multiline: {start: '^x', timeout: 5 minutes}\n    paths:"
    )
    found = problems(tmp_path, text)
    assert 1 == len(found)
    assert found[0].startswith("rules.yaml:4:39: source 'app': not a duration: '5 minutes'")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_rule_file_loads(path: Path) -> None:
    ruleset = load_rules(path)
    assert ruleset.rules


def test_the_rules_in_the_shipped_configmap_load() -> None:
    import yaml

    from logsidecar.rules.load import parse_rule_texts

    doc = yaml.safe_load((REPO / "deploy" / "configmap.yaml").read_text())
    texts = [(name, text) for name, text in doc["data"].items() if name.endswith(".yaml")]
    ruleset = parse_rule_texts(texts, "digest")
    assert ["app_error_lines", "app_log_lines"] == [r.rule.name for r in ruleset.rules]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_rule_file_is_lint_clean(path: Path) -> None:
    from logsidecar.cli import main

    assert () == load_rules(path).warnings
    assert 0 == main(["check", "--lint-fatal", str(path)])


def test_the_rule_library_covers_the_promised_formats() -> None:
    names = {p.stem for p in SHIPPED}
    assert {
        "nginx", "apache", "json-app", "logfmt", "python-traceback", "java-stacktrace",
        "go-panic", "postgresql", "demo",
    } <= names  # fmt: skip
    golden = REPO / "tests" / "golden"
    for name in names:  # each has a golden case running the very same file
        assert (golden / name / "rules.yaml").resolve() == (REPO / "rules" / f"{name}.yaml")


def test_the_whole_library_loads_as_one_configmap_directory() -> None:
    ruleset = load_rules(REPO / "rules")  # names are unique across the files
    assert 11 == len(ruleset.sources)
    assert () == ruleset.warnings
