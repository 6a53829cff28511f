"""How badly a pattern can backtrack: an upper bound on the cost of `re.search` on a text of n.

The bound is a degree k, meaning "at most about n**k steps", or None when the pattern can take
exponential time (an ambiguous loop such as `(a+)+` or `(a|ab)*`). It is read from the parsed
pattern, right to left, tracking for each point what can be consumed next:

- a repeat of one character class whose next character cannot be of that class (`\\S+ `,
  `[^"]*"`) gives back characters only to fail at once: it costs a scan, not a factor;
- a repeat that can hand characters to what follows (`.*a`) multiplies the cost of the rest by n;
- a repeat after which the match can simply end (`=(\\S+)`) succeeds at its first try;
- `re.search` tries every start position, which adds one degree unless the pattern is anchored
  with `^` or `\\A`.

The bound is conservative: it may call a linear pattern quadratic, never the reverse. It only
decides which engine runs a line (see `rules.regex`); it never refuses a pattern.
"""

from __future__ import annotations

import re._constants as sre  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from dataclasses import dataclass
from typing import Any

MAXCHAR = 0x10FFFF
Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint, inclusive code point ranges

_DIGIT: Ranges = ((48, 57),)
_SPACE: Ranges = ((9, 13), (32, 32))
_WORD: Ranges = ((48, 57), (65, 90), (95, 95), (97, 122))
_ALL: Ranges = ((0, MAXCHAR),)
_NON_ASCII: Ranges = ((128, MAXCHAR),)
_SINGLE = {sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN}
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT}
_ANCHORS = {sre.AT_BEGINNING, sre.AT_BEGINNING_STRING}
_FIXED_UNROLL = 8  # a fixed-count repeat of a complex body is analysed this many times at most
_SMALL = 64  # a repeat of at most this many characters costs a constant factor, not n


def _merge(ranges: list[tuple[int, int]]) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def _complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    start = 0
    for lo, hi in ranges:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAXCHAR:
        out.append((start, MAXCHAR))
    return tuple(out)


def overlap(a: Ranges, b: Ranges) -> bool:
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][1] < b[j][0]:
            i += 1
        elif b[j][1] < a[i][0]:
            j += 1
        else:
            return True
    return False


def _category(cat: Any) -> Ranges:
    """ASCII classes exactly; Unicode ones widened with all of non-ASCII (a safe superset)."""
    name = str(cat).removeprefix("CATEGORY_").removeprefix("UNI_").removeprefix("LOC_")
    wide = "UNI_" in str(cat) or "LOC_" in str(cat)
    base = {"DIGIT": _DIGIT, "SPACE": _SPACE, "WORD": _WORD, "LINEBREAK": ((10, 10),)}
    if name.startswith("NOT_"):
        return _complement(base[name[4:]])
    found = base[name]
    return _merge([*found, *_NON_ASCII]) if wide else found


def _fold(ranges: Ranges) -> Ranges:
    """Add the other ASCII case of every letter in `ranges` (for IGNORECASE)."""
    extra: list[tuple[int, int]] = []
    for lo, hi in ranges:
        for a, b, shift in ((65, 90, 32), (97, 122, -32)):
            s, e = max(lo, a), min(hi, b)
            if s <= e:
                extra.append((s + shift, e + shift))
    return _merge([*ranges, *extra]) if extra else ranges


def charset(op: Any, arg: Any, flags: int) -> Ranges:
    """The characters one single-character item can consume."""
    if op is sre.ANY:
        return _ALL if flags & sre.SRE_FLAG_DOTALL else _complement(((10, 10),))
    fold = bool(flags & sre.SRE_FLAG_IGNORECASE)
    if op is sre.LITERAL or op is sre.NOT_LITERAL:
        one: Ranges = ((arg, arg),)
        one = _fold(one) if fold else one
        return one if op is sre.LITERAL else _complement(one)
    parts: list[tuple[int, int]] = []
    negate = False
    for sub_op, sub_arg in arg:  # IN
        if sub_op is sre.NEGATE:
            negate = True
        elif sub_op is sre.LITERAL:
            parts.append((sub_arg, sub_arg))
        elif sub_op is sre.RANGE:
            parts.append(sub_arg)
        elif sub_op is sre.CATEGORY:
            parts.extend(_category(sub_arg))
        else:
            return _ALL
    found = _merge(parts)
    found = _fold(found) if fold else found
    return _complement(found) if negate else found


@dataclass(frozen=True)
class _State:
    """The rest of the pattern, seen from one point in it."""

    deg: int  # exponent of the cost of a failing attempt from here
    first: Ranges  # characters the rest can consume first
    can_end: bool  # the rest can succeed without consuming or checking anything


class _Exponential(Exception):
    pass


def _union(a: Ranges, b: Ranges) -> Ranges:
    return _merge([*a, *b])


def _items(items: Any, state: _State, flags: int, in_loop: bool) -> _State:
    for op, arg in reversed(list(items)):
        state = _item(op, arg, state, flags, in_loop)
    return state


def _item(op: Any, arg: Any, state: _State, flags: int, in_loop: bool) -> _State:
    if op in _SINGLE:
        return _State(state.deg, charset(op, arg, flags), False)
    if op is sre.AT:
        return _State(state.deg, state.first, False)
    if op is sre.SUBPATTERN:
        _, add, remove, sub = arg
        return _items(sub, state, (flags | add) & ~remove, in_loop)
    if op is sre.BRANCH:
        outs = [_items(branch, state, flags, in_loop) for branch in arg[1]]
        if in_loop:
            for i, a in enumerate(outs):
                if any(overlap(a.first, b.first) for b in outs[i + 1 :]):
                    raise _Exponential  # `(a|ab)*`: two ways to read the same text, per turn
        first: Ranges = ()
        for out in outs:
            first = _union(first, out.first)
        return _State(max(o.deg for o in outs), first, any(o.can_end for o in outs))
    if op in _REPEATS:
        return _repeat(arg, state, flags, in_loop)
    raise _Exponential  # backreferences, lookarounds, atomic groups: no bound claimed


def _repeat(arg: Any, state: _State, flags: int, in_loop: bool) -> _State:
    lo, hi, body = arg
    body = list(body)
    if len(body) == 1 and body[0][0] in _SINGLE:
        chars = charset(body[0][0], body[0][1], flags)
        if lo == hi:
            return state if lo == 0 else _State(state.deg, chars, False)
        overlapping = not state.can_end and overlap(chars, state.first)
        if overlapping and in_loop:
            raise _Exponential  # `(a+)+`: a run can be cut into turns in many ways
        if state.can_end or hi <= _SMALL:
            deg = state.deg  # the first try succeeds, or at most a few characters to give back
        elif overlapping:
            deg = 1 + state.deg  # every split of the run may be tried
        else:
            deg = max(1, state.deg)  # giving back characters fails at once
        return _State(
            deg, _union(chars, state.first) if lo == 0 else chars, state.can_end and lo == 0
        )
    if hi <= _FIXED_UNROLL:  # X{lo,hi} is X x lo, then (X or nothing) x (hi - lo)
        for _ in range(hi - lo):
            taken = _items(body, state, flags, in_loop)
            state = _State(
                max(taken.deg, state.deg),
                _union(taken.first, state.first),
                taken.can_end or state.can_end,
            )
        for _ in range(lo):
            state = _items(body, state, flags, in_loop)
        return state
    probe = _items(body, _State(0, (), True), flags, False)
    if probe.can_end:
        raise _Exponential  # a loop whose body can match nothing
    loop_follow = _State(0, _union(probe.first, state.first), False)
    inner = _items(body, loop_follow, flags, True)
    extra = 0 if state.can_end else 1
    return _State(
        extra + state.deg + inner.deg,
        _union(probe.first, state.first) if lo == 0 else probe.first,
        state.can_end and lo == 0,
    )


def degree(pattern: str, flags: int = 0) -> int | None:
    """The exponent k with `re.search` cost ~ n**k on a text of n characters; None: exponential."""
    parsed = sre_parse.parse(pattern, flags)
    flags = parsed.state.flags
    try:
        state = _items(parsed, _State(0, (), True), flags, False)
    except _Exponential:
        return None
    items = list(parsed)
    anchored = bool(items) and items[0][0] is sre.AT and items[0][1] in _ANCHORS
    if anchored and items[0][1] is sre.AT_BEGINNING and flags & sre.SRE_FLAG_MULTILINE:
        anchored = False
    return max(1, state.deg + (0 if anchored else 1))


def unbounded_groups(pattern: str, flags: int = 0) -> frozenset[str]:
    """Named groups that can capture text of any length (so take unboundedly many values)."""
    parsed = sre_parse.parse(pattern, flags)
    names = {index: name for name, index in parsed.state.groupdict.items()}
    found: set[str] = set()

    def walk(items: Any) -> None:
        for op, arg in items:
            if op is sre.SUBPATTERN:
                group, _, _, sub = arg
                if group in names and sub.getwidth()[1] >= sre.MAXREPEAT:
                    found.add(names[group])
                walk(sub)
            elif op is sre.BRANCH:
                for branch in arg[1]:
                    walk(branch)
            elif op in _REPEATS or op is sre.POSSESSIVE_REPEAT:
                walk(arg[2])
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                walk(arg[1])

    walk(parsed)
    return frozenset(found)
