"""The base of every rule-file model: frozen, and unknown keys are errors."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
