"""Operator-written regular expressions: compiled once, at load, for two engines.

Python's `re` is fast per call (~0.1-1 µs) but backtracks: `.*a.*b` on a 16 KiB line of `a`
takes minutes, and even `(\\d+)x` on 16 KiB of digits takes a second. RE2 (google-re2) runs in
linear time but costs ~6-25 µs per call through its Python binding. So every pattern is compiled
for both, and `rules.backtrack` bounds how badly `re` can backtrack on it: a line is handed to
`re` only while it is short enough for that bound to stay within a few milliseconds, and to RE2
otherwise. Patterns that are linear for `re` (most log patterns, especially anchored ones) never
leave the fast engine; an ambiguous loop such as `(a+)+` always runs on RE2.

Because either engine may see a line, a pattern must mean the same to both:
- `\\d`, `\\w`, `\\s`, `\\b` are ASCII-only (as in RE2);
- backreferences, lookarounds, atomic groups, possessive repeats, conditionals, comments and
  `(?x)` are refused at load (RE2 cannot run them);
- `$` (without `(?m)`) is the end of the text only, not also before a final newline;
- the few spellings that differ (`\\Z`, `{,n}`, `\\uXXXX`, `\\N{...}`, escaped punctuation,
  `\\s` and vertical tab) are translated for RE2. Two differences remain, both on characters
  logs rarely hold: `\\S` inside a class (`[\\S]`) matches a vertical tab in RE2 only, and
  `(?i)` folds non-ASCII letters (`é`/`É`) in RE2 only.
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
import unicodedata
import warnings
from collections import Counter
from collections.abc import Sequence
from operator import methodcaller
from typing import Any

import re2

from logsidecar.rules.backtrack import degree as backtrack_degree
from logsidecar.rules.backtrack import unbounded_groups

FLAGS = re.ASCII
BUDGET_SECONDS = 0.01  # worst case we accept for one `re` call on one line
# Seconds per n**k, measured on the slowest patterns found for each degree (`(\d+)x` on digits,
# `.*a.*b` on `a`s, `(.*)(.*)(.*)z`; see tests/unit/rules/test_regex.py), with some margin.
_STEP = {2: 1.2e-8, 3: 2.5e-10}
_DEFAULT_STEP = 1e-9
MAX_DEGREE = 8  # beyond this, every line goes to RE2
UNLIMITED = 1 << 62

_REFUSED = {
    sre.ASSERT: "a lookaround",
    sre.ASSERT_NOT: "a negative lookaround",
    sre.GROUPREF: "a backreference",
    sre.GROUPREF_EXISTS: "a conditional group",
    sre.ATOMIC_GROUP: "an atomic group",
    sre.POSSESSIVE_REPEAT: "a possessive repeat",
}
_CONTROL = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def fast_limit(degree: int | None) -> int:
    """The longest text (in characters) `re` may see for a pattern of this backtracking degree."""
    if degree is None or degree > MAX_DEGREE:
        return 0
    if degree <= 1:
        return UNLIMITED
    step = _STEP.get(degree, _DEFAULT_STEP)
    return int((BUDGET_SECONDS / step) ** (1.0 / degree))


class Regex:
    """A pattern ready for both engines. `search`-semantics everywhere: it may match anywhere."""

    __slots__ = ("_fast", "_slow", "degree", "groupindex", "limit", "pattern", "unbounded")

    def __init__(self, pattern: str, fast: re.Pattern[str], slow: Any, degree: int | None) -> None:
        self.pattern = pattern
        self.groupindex = dict(fast.groupindex)
        self.degree = degree
        self.limit = fast_limit(degree)
        self.unbounded = unbounded_groups(pattern, FLAGS)
        self._fast = fast.search
        self._slow = slow.search

    def test(self, text: str) -> bool:
        if len(text) <= self.limit:
            return self._fast(text) is not None
        return self._slow(text.encode("utf-8", "surrogatepass")) is not None

    def fields(self, text: str) -> dict[str, str] | None:
        """The named groups that took part in the match, or None when there is no match."""
        if len(text) <= self.limit:
            found = self._fast(text)
            if found is None:
                return None
            fields: dict[str, str] = found.groupdict()
            if None in fields.values():
                return {k: v for k, v in fields.items() if v is not None}
            return fields
        return self.slow_fields(text)

    def slow_fields(self, text: str) -> dict[str, str] | None:
        """`fields` on the linear-time engine, whatever the length."""
        found = self._slow(text.encode("utf-8", "surrogatepass"))
        if found is None:
            return None
        return {
            k: v.decode("utf-8", "surrogatepass")
            for k, v in found.groupdict().items()
            if v is not None
        }

    def group_counts(
        self, texts: list[str], name_sets: Sequence[tuple[str, ...]]
    ) -> tuple[list[Counter[tuple[str | None, ...]]], int]:
        """For each tuple of names: how many texts match with each combination of those named
        groups' values; and how many texts do not match at all. One matching of the texts serves
        every tuple, and the per-text work stays in C for texts `re` may see."""
        limit = self.limit
        if not texts or max(map(len, texts)) <= limit:
            short, long = texts, []
        else:
            short = [t for t in texts if len(t) <= limit]
            long = [t for t in texts if len(t) > limit]
        found = list(filter(None, map(self._fast, short)))
        misses = len(short) - len(found)
        all_counts: list[Counter[tuple[str | None, ...]]] = []
        for names in name_sets:
            counts: Counter[tuple[str | None, ...]]
            if not names:
                counts = Counter({(): len(found)}) if found else Counter()
            elif len(names) == 1:
                counts = Counter(zip(map(methodcaller("group", names[0]), found), strict=True))
            else:
                counts = Counter(map(methodcaller("group", *names), found))
            all_counts.append(counts)
        for text in long:
            fields = self.slow_fields(text)
            if fields is None:
                misses += 1
                continue
            for names, tally in zip(name_sets, all_counts, strict=True):
                tally[tuple(fields.get(name) for name in names)] += 1
        return all_counts, misses

    def fast_fields(self, text: str) -> dict[str, str] | None:
        """`fields` on `re`, whatever the length (for tests comparing the engines)."""
        found = self._fast(text)
        if found is None:
            return None
        return {k: v for k, v in found.groupdict().items() if v is not None}


def _escape(char: str) -> str:
    return f"\\x{{{ord(char):x}}}"


def to_re2(pattern: str, multiline: bool) -> str:
    """The same pattern in RE2's spelling. `pattern` is known to compile in Python."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            d = pattern[i + 1]
            i += 2
            if d == "Z" and not in_class:
                out.append("\\z")
            elif d == "u":
                out.append(_escape(chr(int(pattern[i : i + 4], 16))))
                i += 4
            elif d == "U":
                out.append(_escape(chr(int(pattern[i : i + 8], 16))))
                i += 8
            elif d == "N":
                end = pattern.index("}", i)
                out.append(_escape(unicodedata.lookup(pattern[i + 1 : end])))
                i = end + 1
            elif d == "s":
                out.append("\\s\\x0b" if in_class else "[\\s\\x0b]")
            elif d == "S" and not in_class:
                out.append("[^\\s\\x0b]")
            elif d == "b":
                out.append(_escape("\b") if in_class else "\\b")  # backspace / word boundary
            elif d in _CONTROL:
                out.append(_escape(_CONTROL[d]))
            elif d == "0" or (d in "1234567" and _octal3(pattern, i)):
                digits = d + _octal_run(pattern, i, 2)  # \0, \0dd, \ddd: octal (not a group)
                out.append(_escape(chr(int(digits, 8))))
                i += len(digits) - 1
            elif not d.isascii() or not d.isalnum():
                out.append(_escape(d))
            else:
                out.append("\\" + d)
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a `]` first in a class is a literal
                out.append("\\]")
                i += 1
            continue
        if c == "{" and pattern.startswith("{,", i):
            out.append("{0,")
            i += 2
            continue
        if c == "$" and not multiline:
            out.append("\\z")  # `$` is the end of the text (see `_end_anchored`)
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _octal_run(pattern: str, i: int, most: int) -> str:
    run = ""
    while len(run) < most and i + len(run) < len(pattern) and pattern[i + len(run)] in "01234567":
        run += pattern[i + len(run)]
    return run


def _octal3(pattern: str, i: int) -> bool:
    return len(_octal_run(pattern, i, 2)) == 2


def _unsupported(items: Any) -> str | None:
    """The first construct RE2 cannot run, by name, or None."""
    for op, arg in items:
        name = _REFUSED.get(op)
        if name:
            return name
        subs: list[Any] = []
        if op is sre.SUBPATTERN:
            subs = [arg[3]]
        elif op is sre.BRANCH:
            subs = list(arg[1])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            subs = [arg[2]]
        for sub in subs:
            found = _unsupported(sub)
            if found:
                return found
    return None


def _end_anchored(pattern: str) -> str:
    """`pattern` with `$` (outside classes) as `\\Z`: the end of the text, as in RE2. Python's
    `$` would also match before a final newline, which RE2 cannot express."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            first = i + 1 + (pattern[i + 1 : i + 2] == "^")
            if pattern[first : first + 1] == "]":  # a `]` first in a class is a literal
                out.append(pattern[i : first + 1])
                i = first + 1
                continue
        elif c == "$":
            c = "\\Z"
        out.append(c)
        i += 1
    return "".join(out)


def compile_pattern(pattern: str) -> Regex:
    """Compile `pattern` for both engines, or raise ValueError with a message for the operator."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fast = re.compile(pattern, FLAGS)
            if not fast.flags & re.MULTILINE:
                fast = re.compile(_end_anchored(pattern), FLAGS)
            parsed = sre_parse.parse(pattern, FLAGS)
    except (re.error, FutureWarning, DeprecationWarning) as exc:
        raise ValueError(f"invalid regex '{pattern}': {exc}") from None
    problem = _unsupported(parsed)
    if problem is None and fast.flags & re.VERBOSE:
        problem = "verbose mode (?x)"
    if problem is None and "(?#" in pattern:
        problem = "a comment group (?#...)"
    if problem:
        raise ValueError(
            f"regex '{pattern}' refused: {problem} is not supported "
            "(every pattern must also run on the linear-time engine, RE2)"
        )
    translated = to_re2(pattern, bool(fast.flags & re.MULTILINE))
    try:
        slow = re2.compile(translated)
    except re2.error as exc:
        raise ValueError(f"regex '{pattern}' refused: RE2 cannot run it ({exc})") from None
    return Regex(pattern, fast, slow, backtrack_degree(pattern, FLAGS))
