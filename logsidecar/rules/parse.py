"""Event parsers: a source's lines to events (dicts of fields; `line` holds the raw text).

A line that does not parse (no regex match, bad JSON) yields no event and is counted by the caller.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from logsidecar.rules.model import Source
from logsidecar.rules.regex import Regex, compile_pattern

Event = dict[str, Any]
Parser = Callable[[str], Event | None]

# key, then optionally =value. A quoted value runs to its closing quote, or to the end of the line
# when there is none; the alternatives never overlap, so a line is read in one pass, whatever it
# holds (an unclosed quote costs one scan, never one per later `"`).
_LOGFMT = re.compile(r'([^\s="]+)(=(?:"((?:[^"\\]|\\.)*\\?)"?|([^\s"]*)))?')


def _raw(line: str) -> Event:
    return {"line": line}


def _regex(pattern: Regex) -> Parser:
    fields = pattern.fields

    def parse(line: str) -> Event | None:
        event = fields(line)
        if event is None:
            return None
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


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    try:
        decoded = json.loads(f'"{body}"')
    except ValueError:
        return body
    return decoded if isinstance(decoded, str) else body


def _logfmt(line: str) -> Event | None:
    event: Event = {}
    for key, value, quoted, bare in _LOGFMT.findall(line):
        if not value:
            event[key] = "true"  # a bare key is a flag
        elif value[1:2] == '"':
            event[key] = _unescape(quoted)
        else:
            event[key] = bare
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
