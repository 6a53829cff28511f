"""`Settings`: everything `logsidecar run` can be told. The only reader of the environment.

Values come from `LOGSIDECAR_*` variables, overridden by the flags of `logsidecar run`. Invalid
values fail as one `SettingsError` naming the setting (the CLI prints it and exits 2); a
`LOGSIDECAR_*` variable that names no setting (a typo such as `LOGSIDECAR_STATEDIR`) is
reported by `unknown_variables`, so the CLI can warn about it instead of ignoring it silently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from logsidecar.errors import LogsidecarError
from logsidecar.rules.durations import Duration

PREFIX = "LOGSIDECAR_"


class SettingsError(LogsidecarError):
    """Settings that cannot be used; the message is one line per problem."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    rules: str = "/etc/logsidecar"
    port: int = Field(default=9879, ge=0, le=65535)
    listen_address: str = "0.0.0.0"
    state_dir: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    max_line_bytes: int = Field(default=65536, ge=256)
    poll_interval: Duration = 2.0
    commit_interval: Duration = 1.0
    rules_check_interval: Duration = 10.0
    rotate_wait: Duration = 5.0
    partial_line_timeout: Duration = 5.0
    shutdown_linger: Duration = 0.0
    # exit at start-up when the rules do not load, instead of running with none until they do
    strict_startup: bool = False

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from the environment, with `overrides` (flags) taking precedence."""
    try:
        return Settings(**dict(overrides or {}))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            given = err.get("input")
            problems.append(
                f"invalid setting {name} (--{name.replace('_', '-')} or {PREFIX}{name.upper()})"
                f"={given!r}: {err['msg']}"
            )
        raise SettingsError("\n".join(problems)) from None


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """`LOGSIDECAR_*` variables that name no setting."""
    env = os.environ if environ is None else environ
    known = {PREFIX + name.upper() for name in Settings.model_fields}
    return sorted(k for k in env if k.upper().startswith(PREFIX) and k.upper() not in known)
