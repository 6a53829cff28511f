"""tests/kubelet.py lays a ConfigMap volume out as the kubelet does, and the rule loader reads it."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from logsidecar.rules.load import load_rules, read_rule_texts
from tests.kubelet import ConfigMapVolume

TIMESTAMPED = re.compile(r"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$")


def listing(root: Path) -> set[str]:
    return set(os.listdir(root))


def layout(volume: ConfigMapVolume) -> dict[str, str]:
    """Every entry at the top of the volume: a link's target, or the kind of entry."""
    out = {}
    for name in sorted(os.listdir(volume.root)):
        path = volume.root / name
        out[name] = os.readlink(path) if path.is_symlink() else "dir" if path.is_dir() else "file"
    return out


def contents(volume: ConfigMapVolume) -> dict[str, str]:
    """What a reader sees through the user-visible names."""
    return {
        n: (volume.root / n).read_text() for n in os.listdir(volume.root) if not n.startswith("..")
    }


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o077)  # the helper must set its modes whatever the umask
    yield
    os.umask(old)


def test_the_first_write_lays_out_links_through_data_to_a_timestamped_dir(
    tmp_path: Path, umask: None
) -> None:
    volume = ConfigMapVolume(tmp_path / "cm")
    assert volume.write({"a.yaml": "A1", "b.yaml": "B1"})
    ts = volume.current()
    assert ts is not None and TIMESTAMPED.match(ts), ts
    assert {"..data": ts, ts: "dir", "a.yaml": "..data/a.yaml", "b.yaml": "..data/b.yaml"} == (
        layout(volume)
    )
    assert 0o755 == stat.S_IMODE(os.stat(volume.root / ts).st_mode)
    assert {"a.yaml", "b.yaml"} == listing(volume.root / ts)
    for name in ("a.yaml", "b.yaml"):
        assert 0o644 == stat.S_IMODE(os.lstat(volume.root / ts / name).st_mode)
        assert stat.S_ISREG(os.lstat(volume.root / ts / name).st_mode)
    assert {"a.yaml": "A1", "b.yaml": "B1"} == contents(volume)


def test_an_update_swaps_data_to_a_new_dir_and_removes_the_old(tmp_path: Path) -> None:
    volume = ConfigMapVolume(tmp_path / "cm")
    volume.write({"a.yaml": "A1", "b.yaml": "B1"})
    old = volume.current()
    link_inode = os.lstat(volume.root / "a.yaml").st_ino
    assert volume.write({"a.yaml": "A2", "b.yaml": "B1"})
    new = volume.current()
    assert new is not None and old is not None and new != old
    assert {"..data": new, new: "dir", "a.yaml": "..data/a.yaml", "b.yaml": "..data/b.yaml"} == (
        layout(volume)
    )
    assert not (volume.root / old).exists()
    assert link_inode == os.lstat(volume.root / "a.yaml").st_ino  # the link itself is kept
    assert {"a.yaml": "A2", "b.yaml": "B1"} == contents(volume)


def test_a_key_added_gets_a_link_and_a_key_dropped_loses_it(tmp_path: Path) -> None:
    volume = ConfigMapVolume(tmp_path / "cm")
    volume.write({"a.yaml": "A1"})
    volume.write({"a.yaml": "A1", "c.yaml": "C1"})
    ts = volume.current()
    assert ts is not None
    assert {"..data": ts, ts: "dir", "a.yaml": "..data/a.yaml", "c.yaml": "..data/c.yaml"} == (
        layout(volume)
    )
    assert {"a.yaml": "A1", "c.yaml": "C1"} == contents(volume)
    volume.write({"c.yaml": "C1"})
    ts = volume.current()
    assert ts is not None
    assert {"..data": ts, ts: "dir", "c.yaml": "..data/c.yaml"} == layout(volume)
    assert {"c.yaml"} == listing(volume.root / ts)
    assert {"c.yaml": "C1"} == contents(volume)


def test_the_same_payload_again_touches_nothing(tmp_path: Path) -> None:
    volume = ConfigMapVolume(tmp_path / "cm")
    volume.write({"a.yaml": "A1"})
    before = layout(volume)
    assert not volume.write({"a.yaml": "A1"})
    assert before == layout(volume)


def test_the_steps_come_in_the_kubelets_order(tmp_path: Path) -> None:
    volume = ConfigMapVolume(tmp_path / "cm")
    volume.write({"a.yaml": "A1", "gone.yaml": "G"})
    old = volume.current()
    assert old is not None
    seen: list[tuple[str, dict[str, str]]] = [
        (step, layout(volume)) for step in volume.steps({"a.yaml": "A2", "new.yaml": "N"})
    ]
    new = volume.current()
    assert new is not None
    links = {"a.yaml": "..data/a.yaml", "gone.yaml": "..data/gone.yaml"}
    assert [
        ("timestamped_dir", {"..data": old, old: "dir", new: "dir", **links}),
        ("payload", {"..data": old, old: "dir", new: "dir", **links}),
        ("data_tmp", {"..data": old, "..data_tmp": new, old: "dir", new: "dir", **links}),
        ("rename", {"..data": new, old: "dir", new: "dir", **links}),
        ("links", {"..data": new, old: "dir", new: "dir", **links, "new.yaml": "..data/new.yaml"}),
        ("unlinked", {"..data": new, old: "dir", new: "dir", "a.yaml": "..data/a.yaml",
                      "new.yaml": "..data/new.yaml"}),
        ("old_dir_removed", {"..data": new, new: "dir", "a.yaml": "..data/a.yaml",
                             "new.yaml": "..data/new.yaml"}),
    ] == seen  # fmt: skip


def test_names_the_kubelet_refuses_are_refused(tmp_path: Path) -> None:
    volume = ConfigMapVolume(tmp_path / "cm")
    for name in ("..data", "../x", "/abs", "", "a/../b"):
        with pytest.raises(ValueError, match="invalid path"):
            volume.write({name: "x"})


RULES = """version: 1
sources:
  - name: app
    paths: ["/var/log/app/*.log"]
rules:
  - name: {name}
    metrics:
      - counter: {name}_total
"""


def test_the_rule_loader_reads_the_user_visible_names_only(tmp_path: Path) -> None:
    volume = ConfigMapVolume(tmp_path / "rules")
    volume.write({"app.yaml": RULES.format(name="first"), "README": "not rules"})
    texts, digest = read_rule_texts(volume.root)
    assert [(str(volume.root / "app.yaml"), RULES.format(name="first"))] == texts
    assert ["first"] == [r.rule.name for r in load_rules(volume.root).rules]

    volume.write({"app.yaml": RULES.format(name="second"), "more.yml": RULES.format(name="third")
                  .replace("name: app", "name: other")})  # fmt: skip
    texts, new_digest = read_rule_texts(volume.root)
    assert [str(volume.root / n) for n in ("app.yaml", "more.yml")] == [name for name, _ in texts]
    assert digest != new_digest
    assert ["second", "third"] == sorted(r.rule.name for r in load_rules(volume.root).rules)


def test_between_the_rename_and_the_new_links_a_reader_sees_a_partial_set(tmp_path: Path) -> None:
    """The kubelet creates the links of new keys after the rename, and removes those of dropped
    keys after that: a rule reload woken by the rename alone can read a set that is neither the
    old nor the new one (a dropped key's link dangles, and is skipped; a new key has no link)."""
    volume = ConfigMapVolume(tmp_path / "rules")
    volume.write({"a.yaml": "old a", "gone.yaml": "gone"})
    seen = []
    for step in volume.steps({"a.yaml": "new a", "new.yaml": "new"}):
        texts, _ = read_rule_texts(volume.root)
        seen.append((step, [(Path(name).name, text) for name, text in texts]))
    old = [("a.yaml", "old a"), ("gone.yaml", "gone")]
    new = [("a.yaml", "new a"), ("new.yaml", "new")]
    assert [
        ("timestamped_dir", old),
        ("payload", old),
        ("data_tmp", old),
        ("rename", [("a.yaml", "new a")]),
        ("links", new),
        ("unlinked", new),
        ("old_dir_removed", new),
    ] == seen
