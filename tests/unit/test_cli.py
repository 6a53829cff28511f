from pathlib import Path

import pytest

from logsidecar.cli import main

BROKEN = {
    "bad_yaml.yaml": ("version: 1\nsources: [\n", ["bad_yaml.yaml:3:1: invalid YAML"]),
    "unknown_key.yaml": (
        "version: 1\nsources:\n  - name: app\n    paths: [/x]\n    colour: red\n",
        ["unknown_key.yaml:5:5: source 'app': unknown key 'colour'"],
    ),
    "bad_regex.yaml": (
        "version: 1\nsources:\n  - name: app\n    paths: [/x]\nrules:\n  - name: r\n"
        "    match: {line: {regex: 'a[b'}}\n",
        ["bad_regex.yaml:7:27: rule 'r': invalid regex 'a[b'"],
    ),
    "unknown_source.yaml": (
        "version: 1\nsources:\n  - name: app\n    paths: [/x]\nrules:\n  - name: r\n"
        "    source: web\n",
        ["unknown_source.yaml:7:13: rule 'r': unknown source 'web'"],
    ),
}


def test_check_exits_one_and_names_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for name, (text, _) in BROKEN.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    assert 1 == main(["check", *paths])
    out = capsys.readouterr().out.replace(str(tmp_path) + "/", "")
    for _, expected in BROKEN.values():
        for line in expected:
            assert line in out


def test_check_exits_zero_on_clean_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = Path(__file__).resolve().parents[2] / "rules" / "demo.yaml"
    assert 0 == main(["check", str(rules)])
    assert f"{rules}: OK: 3 sources, 4 rules, 5 detectors\n" == capsys.readouterr().out
