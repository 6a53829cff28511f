"""Compiling operator-written regular expressions, once, at load.

Python's `re` is a backtracking engine. To keep one bad pattern from stalling the sidecar, patterns
whose shape is known to backtrack catastrophically are refused at load: backreferences and an
unbounded repetition nested inside another unbounded repetition (`(a+)+`, `(\\w*\\s?)*`).
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from typing import Any

_UNBOUNDED = 64  # repeats allowing more than this many iterations count as unbounded
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}


def _check(items: Any, inside_unbounded: bool) -> str | None:
    for op, arg in items:
        if op is sre_constants.GROUPREF or op is sre_constants.GROUPREF_EXISTS:
            return "backreferences are not allowed (they force backtracking)"
        if op in _REPEATS:
            _, hi, sub = arg
            unbounded = hi is sre_constants.MAXREPEAT or hi > _UNBOUNDED
            if unbounded and inside_unbounded and op is not sre_constants.POSSESSIVE_REPEAT:
                return (
                    "nested unbounded repetition (like `(a+)+`) can backtrack catastrophically; "
                    "rewrite it without the outer or inner repeat"
                )
            problem = _check(sub, inside_unbounded or unbounded)
            if problem:
                return problem
        elif op is sre_constants.SUBPATTERN:
            problem = _check(arg[-1], inside_unbounded)
            if problem:
                return problem
        elif op is sre_constants.BRANCH:
            for branch in arg[1]:
                problem = _check(branch, inside_unbounded)
                if problem:
                    return problem
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT, sre_constants.ATOMIC_GROUP):
            sub = arg[1] if op is not sre_constants.ATOMIC_GROUP else arg
            problem = _check(sub, inside_unbounded)
            if problem:
                return problem
    return None


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile `pattern` or raise ValueError with a message for the operator."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from None
    problem = _check(sre_parse.parse(pattern), False)
    if problem:
        raise ValueError(f"regex {pattern!r} refused: {problem}")
    return compiled
