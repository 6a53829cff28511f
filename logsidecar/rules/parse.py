"""Event parsers: a source's lines to events (dicts of fields; `line` holds the raw text).

A line that does not parse (no regex match, bad JSON) yields no event and is counted by the caller.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from logsidecar.rules.model import Source
from logsidecar.rules.regex import compile_pattern

Event = dict[str, Any]
Parser = Callable[[str], Event | None]

_LOGFMT = re.compile(r'([^\s="]+)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?')


def _raw(line: str) -> Event:
    return {"line": line}


def _regex(pattern: re.Pattern[str]) -> Parser:
    search = pattern.search

    def parse(line: str) -> Event | None:
        found = search(line)
        if found is None:
            return None
        event: Event = {k: v for k, v in found.groupdict().items() if v is not None}
        event["line"] = line
        return event

    return parse


def _flatten(prefix: str, value: Any, out: Event) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, out)
    else:
        out[prefix] = value


def _json(line: str) -> Event | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    event: Event = {}
    for key, sub in value.items():
        if isinstance(sub, dict):
            _flatten(str(key), sub, event)
        else:
            event[str(key)] = sub
    event["line"] = line
    return event


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        body = text[1:-1]
        if "\\" in body:
            try:
                decoded = json.loads(text)
            except ValueError:
                return body
            return decoded if isinstance(decoded, str) else body
        return body
    return text


def _logfmt(line: str) -> Event | None:
    event: Event = {}
    for found in _LOGFMT.finditer(line):
        key, value = found.group(1), found.group(2)
        event[key] = _unquote(value) if value is not None else "true"
    if not event:
        return None
    event["line"] = line
    return event


def make_parser(source: Source) -> Parser:
    """The event parser for a source's `format`."""
    if source.format == "regex":
        return _regex(compile_pattern(source.pattern or ""))
    if source.format == "json":
        return _json
    if source.format == "logfmt":
        return _logfmt
    return _raw
