"""Golden cases: tests/golden/<case>/{rules.yaml, input.log | <name>.log..., expected.prom[, args]}.

`args` holds extra `logsidecar replay` arguments (e.g. `--source app`). Set
LOGSIDECAR_UPDATE_GOLDEN=1 to (re)write expected.prom from the current code, then read every
number in it against the input before committing it.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
UPDATE = os.environ.get("LOGSIDECAR_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    name: str
    root: Path

    @property
    def rules(self) -> Path:
        return self.root / "rules.yaml"

    @property
    def inputs(self) -> list[Path]:
        single = self.root / "input.log"
        return [single] if single.exists() else sorted(self.root.glob("*.log"))

    @property
    def args(self) -> list[str]:
        path = self.root / "args"
        return shlex.split(path.read_text()) if path.exists() else []

    @property
    def expected_path(self) -> Path:
        return self.root / "expected.prom"


def cases() -> list[Case]:
    return [Case(p.name, p) for p in sorted(HERE.iterdir()) if (p / "rules.yaml").exists()]
