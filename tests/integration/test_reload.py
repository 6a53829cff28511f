"""Reloads against a running sidecar, driven the way the kubelet updates a ConfigMap volume."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.helpers import LocalSidecar, sample_value
from tests.kubelet import ConfigMapVolume

SOURCE = """\
  - name: {name}
    paths: [{glob}]
"""
RULE = """\
  - name: {name}
    source: {source}
    metrics:
      - counter: {name}_lines_total
        help: {help}
"""


def rules_yaml(
    sources: dict[str, Path], rules: dict[str, str], helps: dict[str, str] | None = None
) -> str:
    helps = helps or {}
    text = "version: 1\nsources:\n"
    text += "".join(SOURCE.format(name=n, glob=json.dumps(str(p))) for n, p in sources.items())
    text += "rules:\n" + "".join(
        RULE.format(name=r, source=s, help=helps.get(r, "Lines.")) for r, s in rules.items()
    )
    return text


def events(sidecar: LocalSidecar, name: str) -> list[dict[str, Any]]:
    lines = sidecar.out_path.read_text().splitlines()
    return [e for e in (json.loads(x) for x in lines if x.startswith("{")) if e["event"] == name]


def wait_event(
    sidecar: LocalSidecar, name: str, count: int, deadline: float = 10.0
) -> list[dict[str, Any]]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = events(sidecar, name)
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"no {count} {name} events:\n{sidecar.output()}")


def setup(tmp_path: Path) -> tuple[ConfigMapVolume, Path, Path]:
    logs = tmp_path / "logs"
    logs.mkdir()
    volume = ConfigMapVolume(tmp_path / "rules")
    return volume, logs / "app.log", logs / "audit.log"


def test_a_configmap_update_adds_a_source_read_within_a_second(tmp_path: Path) -> None:
    volume, app, audit = setup(tmp_path)
    app.write_text("a\n")
    audit.write_text("x\ny\nz\n")
    volume.write({"rules.yaml": rules_yaml({"app": app}, {"app": "app"})})
    # polls and rescans far apart: only the reload itself can make the new files read soon
    with LocalSidecar(
        volume.root, tmp_path, poll_interval="5s", state_dir=str(tmp_path / "s")
    ) as sidecar:
        sidecar.wait_for("app_lines_total", 1)
        digest_before = json.loads(sidecar.get("/-/status")[1])["rules_digest"][:12]
        assert 1.0 == sample_value(sidecar.scrape(), "logsidecar_config_info", digest=digest_before)
        volume.write(
            {
                "rules.yaml": rules_yaml(
                    {"app": app, "audit": audit}, {"app": "app", "audit": "audit"}
                )
            }
        )
        written = time.monotonic()
        sidecar.wait_for("audit_lines_total", 3, deadline=5)
        took = time.monotonic() - written
        print(
            f"\n[reload] a new source's 3 lines on /metrics {took:.2f} s after the ConfigMap update"
        )
        assert took < 1.5, f"the new source's lines took {took:.2f}s"
        (reloaded,) = wait_event(sidecar, "rules_reloaded", 1)
        assert (["rule/audit", "source/audit"], [], [], "change") == (
            reloaded["added"],
            reloaded["removed"],
            reloaded["changed"],
            reloaded["reason"],
        )
        text = sidecar.scrape()
        assert None is sample_value(text, "logsidecar_config_info", digest=digest_before)
        assert 1.0 == sample_value(text, "logsidecar_config_info", digest=reloaded["digest"])


def test_a_help_text_edit_keeps_the_series(tmp_path: Path) -> None:
    volume, app, _ = setup(tmp_path)
    app.write_text("a\nb\n")
    volume.write({"rules.yaml": rules_yaml({"app": app}, {"app": "app"})})
    with LocalSidecar(volume.root, tmp_path, state_dir=str(tmp_path / "s")) as sidecar:
        sidecar.wait_for("app_lines_total", 2)
        volume.write(
            {
                "rules.yaml": rules_yaml(
                    {"app": app}, {"app": "app"}, {"app": "Every line of app.log."}
                )
            }
        )
        (reloaded,) = wait_event(sidecar, "rules_reloaded", 1)
        assert ["rule/app"] == reloaded["changed"]
        with open(app, "a") as f:
            f.write("c\n")
        sidecar.wait_for("app_lines_total", 3)  # 3, not 1: the series was kept
        assert "# HELP app_lines_total Every line of app.log." in sidecar.scrape()


def test_sighup_and_post_are_logged_as_such_and_a_post_gets_its_own_answer(tmp_path: Path) -> None:
    volume, app, _ = setup(tmp_path)
    volume.write({"rules.yaml": rules_yaml({"app": app}, {"app": "app"})})
    with LocalSidecar(volume.root, tmp_path) as sidecar:
        sidecar.wait_ready()
        sidecar.proc.send_signal(signal.SIGHUP)
        wait_event(sidecar, "rules_reloaded", 1)
        req = urllib.request.Request(f"{sidecar.base}/-/reload", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert (200, "rules loaded: ") == (resp.status, resp.read().decode()[:14])
        reloads = wait_event(sidecar, "rules_reloaded", 2)
        asked = events(sidecar, "reload_requested")
        assert ["sighup", "http"] == [e["via"] for e in asked]
        assert ["sighup", "http"] == [e["reason"] for e in reloads]
        assert 2.0 == sample_value(sidecar.scrape(), "logsidecar_config_reloads_total")


def test_a_rolled_back_configmap_makes_the_last_reload_successful_again(tmp_path: Path) -> None:
    volume, app, _ = setup(tmp_path)
    good = rules_yaml({"app": app}, {"app": "app"})
    volume.write({"rules.yaml": good})
    with LocalSidecar(volume.root, tmp_path) as sidecar:
        sidecar.wait_ready()
        volume.write({"rules.yaml": good + "    bogus: 1\n"})
        sidecar.wait_for("logsidecar_config_last_reload_successful", 0)
        volume.write({"rules.yaml": good})
        sidecar.wait_for("logsidecar_config_last_reload_successful", 1)
        assert 1.0 == sample_value(sidecar.scrape(), "logsidecar_config_reload_failures_total")
        assert 1 == len(events(sidecar, "rules_match_running"))
