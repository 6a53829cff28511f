"""Both regex engines agree; long lines cannot stall; what RE2 cannot run is refused at load."""

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsidecar.rules.regex import UNLIMITED, compile_pattern, fast_limit, to_re2

LONG = 65536  # LOGSIDECAR_MAX_LINE_BYTES' default


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r".*a.*b", "a" * LONG),  # cubic for a backtracker: minutes at 16 KiB
        (r"(?P<n>\d+)x", "1" * LONG),  # quadratic: seconds at 64 KiB
        (r"(a+)+$", "a" * (LONG - 1) + "!"),  # exponential
        (r"^(\w*\s?)*$", "ab " * (LONG // 3) + "!"),
        (r"(.*)(.*)(.*)z", "a" * LONG),
    ],
)
def test_a_pathological_pattern_on_a_long_line_does_not_stall(pattern: str, text: str) -> None:
    regex = compile_pattern(pattern)
    assert regex.limit < len(text)  # this line goes to the linear-time engine
    start = time.process_time()
    assert regex.fields(text) is None
    assert regex.test(text) is False
    assert time.process_time() - start < 0.5


@pytest.mark.parametrize(
    ("pattern", "unit"),
    [(r"(?P<n>\d+)x", "1"), (r".*a.*b", "a"), (r"(.*)(.*)(.*)z", "a"), (r"\S+ \S+ \S+ x", "a ")],
)
def test_the_backtracking_engine_stays_within_budget_up_to_its_limit(
    pattern: str, unit: str
) -> None:
    regex = compile_pattern(pattern)
    text = (unit * regex.limit)[: regex.limit]
    start = time.process_time()
    assert regex.fast_fields(text) is None
    # the budget is 10 ms; allow for a slow or busy CI machine
    assert time.process_time() - start < 0.1


def test_linear_patterns_never_leave_the_fast_engine() -> None:
    nginx = (
        r'^(?P<ip>\S+) \S+ \S+ \[[^\]]*\] "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" '
        r"(?P<status>\d{3}) (?P<bytes>\d+)"
    )
    for pattern in (nginx, r"upstream=(?P<upstream>\S+)", "ERROR", r"^\d{4}-\d\d-\d\d"):
        assert UNLIMITED == compile_pattern(pattern).limit, pattern


def test_limits_shrink_with_the_degree() -> None:
    assert [UNLIMITED, 912, 341, 56, 25, 14, 9, 7, 0] == [fast_limit(k) for k in range(1, 10)]
    assert 0 == fast_limit(None)


def test_both_engines_give_the_same_fields_across_the_limit() -> None:
    regex = compile_pattern(r"(?P<k>\w+)=(?P<v>[^ ]*) .*?(?P<tail>é+)?$")
    short = "key=välue rest éé"
    long = "key=välue " + "x" * 5000 + " éé"
    for text in (short, long):
        assert regex.fast_fields(text) == regex.slow_fields(text) == regex.fields(text)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "a backreference"),
        (r"(?P<x>a)(?P=x)", "a backreference"),
        (r"a(?=b)", "a lookaround"),
        (r"(?<!a)b", "a negative lookaround"),
        (r"(?>ab)", "an atomic group"),
        (r"a++", "a possessive repeat"),
        (r"(?P<x>a)?(?(x)b|c)", "a conditional group"),
        (r"(?x) a b", "verbose mode (?x)"),
        (r"a(?#note)", "a comment group (?#...)"),
    ],
)
def test_what_re2_cannot_run_is_refused_with_a_reason(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        compile_pattern(pattern)
    assert (
        f"regex '{pattern}' refused: {reason} is not supported (every pattern must also run on "
        "the linear-time engine, RE2)"
    ) == str(caught.value)


def test_invalid_and_ambiguous_patterns_are_errors() -> None:
    with pytest.raises(ValueError, match=r"^invalid regex '\(': missing \)"):
        compile_pattern("(")
    with pytest.raises(ValueError, match=r"^invalid regex '\[\[:alpha:\]\]': Possible nested set"):
        compile_pattern("[[:alpha:]]")


@pytest.mark.parametrize(
    ("python", "re2"),
    [
        (r"a{,3}\Z", r"a{0,3}\z"),
        (r"x$", r"x\z"),
        (r"(?m)x$", r"(?m)x$"),
        (r"\u00e9\N{BULLET}\0\012", r"\x{e9}\x{2022}\x{0}\x{a}"),
        (r"\- \/ \[ [$]", r"\x{2d} \x{2f} \x{5b} [$]"),
        (r"[]a\s] [^]a] \s\S", r"[\]a\s\x0b] [^\]a] [\s\x0b][^\s\x0b]"),
        (r"\bx[\b]", r"\bx[\x{8}]"),
    ],
)
def test_spellings_that_differ_are_translated_for_re2(python: str, re2: str) -> None:
    assert re2 == to_re2(python, multiline="(?m)" in python)


# -- the two engines agree, on patterns and texts drawn at random ------------------------------
ALPHABET = 'aAb1 \t\n\v-.:="é'
_atoms = st.sampled_from(
    ["a", "b", "A", "1", " ", "-", r"\.", ":", "=", '"', "é", r"\d", r"\w", r"\s", r"\S",
     r"\D", r"\W", ".", "[ab]", "[^a]", "[a-c1]", r"[\s=]", r"\b", "^", "$", r"\A", r"\Z"]
)  # fmt: skip
_quantifiers = st.sampled_from(["", "", "*", "+", "?", "{1,2}", "{,2}", "*?", "+?", "{2}"])


def _patterns() -> st.SearchStrategy[str]:
    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        group = st.tuples(st.sampled_from(["(?:", "(?P<g>"]), children, _quantifiers).map(
            lambda t: f"{t[0]}{t[1]}){t[2]}"
        )
        concat = st.lists(children, min_size=2, max_size=3).map("".join)
        branch = st.lists(children, min_size=2, max_size=3).map("|".join).map(lambda s: f"(?:{s})")
        return st.one_of(group, concat, branch)

    atom = st.tuples(_atoms, _quantifiers).map(
        lambda t: t[0] if t[0] in ("^", "$", r"\b", r"\A", r"\Z") else t[0] + t[1]
    )
    return st.recursive(atom, extend, max_leaves=6)


def _numbered(pattern: str) -> str:
    count = iter(range(1000))
    return re.sub(r"\(\?P<g>", lambda _: f"(?P<g{next(count)}>", pattern)


@settings(max_examples=400, deadline=None)
@given(
    pattern=_patterns().map(_numbered),
    flags=st.sampled_from(["", "(?i)", "(?s)", "(?m)"]),
    text=st.text(alphabet=ALPHABET, max_size=24),
)
def test_re_and_re2_agree(pattern: str, flags: str, text: str) -> None:
    try:
        regex = compile_pattern(flags + pattern)
    except ValueError:
        return  # e.g. a quantifier on an anchor: refused, the same for every line
    if regex.limit == 0:
        return  # never run by `re` (e.g. `(a*)*`, where the engines fill groups differently)
    assert regex.fast_fields(text) == regex.slow_fields(text)
    assert (regex.fast_fields(text) is None) == (regex._slow(text.encode()) is None)
