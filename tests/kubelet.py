"""A ConfigMap volume, laid out and updated the way the kubelet's atomic writer does it.

The kubelet never edits a projected file in place. Each update is, in this order
(pkg/volume/util/atomic_writer.go, `AtomicWriter.Write`, Kubernetes 1.2x):

1. read the `..data` symlink to find the current timestamped directory (none on the first write);
2. list what that directory holds; names not in the new payload are to be removed;
3. if every file already holds the new bytes and nothing is to be removed: stop, touch nothing;
4. create a new directory `..YYYY_MM_DD_HH_MM_SS.<digits>` (UTC time, then the random decimal
   suffix of Go's `os.MkdirTemp`) and chmod it 0755;
5. write every file into it and chmod it to the item's mode (0644 by default);
6. create the symlink `..data_tmp` -> the new directory's name (relative);
7. rename(2) `..data_tmp` over `..data`: the one atomic step, after which readers see the new set;
8. create `NAME -> ..data/NAME` for each top-level name that has no link yet (after the rename);
9. remove the top-level links of names no longer in the payload;
10. remove the old timestamped directory.

A reader that opens `NAME` always goes through `..data`, so it sees the old set or the new one,
never a mix; a reader that lists the directory sees hidden `..` entries come and go.

Driving reload tests against a running sidecar::

    volume = ConfigMapVolume(tmp_path / "rules")
    volume.write({"rules.yaml": RULES_V1})
    with LocalSidecar(volume.root, tmp_path) as sidecar:
        volume.write({"rules.yaml": RULES_V2})  # one atomic swap of `..data`
        sidecar.wait_for("logsidecar_config_reloads_total", 1)

`steps(files)` does the same as `write(files)` but yields the name of each step once it is done,
so a test can look (or let the sidecar look) between any two of them.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

DATA = "..data"
DATA_TMP = "..data_tmp"


class ConfigMapVolume:
    """The volume directory `root` (created if missing), updated as the kubelet updates it."""

    def __init__(self, root: Path, mode: int = 0o644) -> None:
        self.root = Path(root)
        self.mode = mode
        self.root.mkdir(parents=True, exist_ok=True)

    def current(self) -> str | None:
        """The name of the timestamped directory `..data` points at, if any."""
        try:
            return os.readlink(self.root / DATA)
        except FileNotFoundError:
            return None

    def write(self, files: Mapping[str, str]) -> bool:
        """Project `files` (name -> text); whether anything on disk changed."""
        return bool(list(self.steps(files)))

    def steps(self, files: Mapping[str, str]) -> Iterator[str]:
        """`write`, one step at a time (see the module docstring); yields nothing for a no-op."""
        payload = {_checked(name): text.encode() for name, text in files.items()}
        old = self.current()  # 1
        old_dir = self.root / old if old else None
        stale = _removed(old_dir, payload) if old_dir else set()  # 2
        if old_dir and not stale and not _differs(old_dir, payload):  # 3
            return
        new_dir = self._new_timestamped_dir()  # 4
        yield "timestamped_dir"
        for name, data in payload.items():  # 5
            path = new_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            path.chmod(self.mode)
        yield "payload"
        os.symlink(new_dir.name, self.root / DATA_TMP)  # 6
        yield "data_tmp"
        os.rename(self.root / DATA_TMP, self.root / DATA)  # 7
        yield "rename"
        for top in sorted({name.split("/", 1)[0] for name in payload}):  # 8
            link = self.root / top
            if not os.path.lexists(link):
                os.symlink(f"{DATA}/{top}", link)
        yield "links"
        for name in sorted(n for n in stale if "/" not in n):  # 9
            os.remove(self.root / name)
        yield "unlinked"
        if old_dir is not None:  # 10
            shutil.rmtree(old_dir)
        yield "old_dir_removed"

    def _new_timestamped_dir(self) -> Path:
        stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
        for _ in range(100):
            path = self.root / f"{stamp}{random.getrandbits(32)}"
            try:
                path.mkdir(mode=0o700)
            except FileExistsError:
                continue
            path.chmod(0o755)  # whatever the umask
            return path
        raise FileExistsError(f"no free timestamped directory name in {self.root}")


def _checked(name: str) -> str:
    parts = name.split("/")
    if not name or name.startswith("/") or ".." in parts or parts[0].startswith(".."):
        raise ValueError(f"invalid path in a ConfigMap volume: {name!r}")
    return os.path.normpath(name)


def _removed(old_dir: Path, payload: Mapping[str, bytes]) -> set[str]:
    """Paths under the old directory (files and directories) that the new payload has not."""
    kept = set()
    for name in payload:
        parts = name.split("/")
        kept |= {"/".join(parts[: i + 1]) for i in range(len(parts))}
    present = {str(p.relative_to(old_dir)) for p in old_dir.rglob("*")}
    return present - kept


def _differs(old_dir: Path, payload: Mapping[str, bytes]) -> bool:
    for name, data in payload.items():
        path = old_dir / name
        if not path.is_file() or path.read_bytes() != data:
            return True
    return False
