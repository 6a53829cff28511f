"""The one glob matcher: against a reference written here, and on real directory trees."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from logsidecar.replay import ReplayError, pick_source
from logsidecar.rules.model import Source
from logsidecar.tail import globs
from logsidecar.tail.discovery import excluded, expand, watch_root
from logsidecar.tail.globs import Glob
from logsidecar.tail.tailer import WatchSpec


def reference(pattern: list[str], path: list[str]) -> bool:
    """Segment by segment: `**` takes zero or more whole segments; any other pattern segment
    takes exactly one, by fnmatch (a segment holds no `/`, so fnmatch's `*` cannot cross one)."""
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return reference(rest, path) or (bool(path) and reference(pattern, path[1:]))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and reference(rest, path[1:])


def not_dots(segment: str) -> bool:
    return segment not in (".", "..")  # abspath would fold these away


name = st.text("ab.", min_size=1, max_size=3).filter(not_dots)
pattern_segment = st.one_of(
    name,
    st.sampled_from(["**", "*", "?", "a*", "*b", ".*", "[ab]", "[!a]", "[a-b]*", "**a", "[]a]"]),
    st.text("ab.*?[]!-", min_size=1, max_size=5).filter(not_dots),
)


@settings(max_examples=2000, deadline=None)
@given(st.text("ab.-!^]*?[\\z/", max_size=8), st.text("ab.-!^]*?[\\z", min_size=1, max_size=6))
def test_one_segment_matches_as_fnmatch_does(pattern: str, file_name: str) -> None:
    segments = [s for s in pattern.split("/") if s]
    assume(segments and all(map(not_dots, segments)) and not_dots(file_name))
    segment = segments[-1]
    expected = fnmatch.fnmatchcase(file_name, segment)
    assert expected == Glob("/d/" + segment).matches("/d/" + file_name)
    assert expected == Glob("/d/" + pattern).matches_name(file_name)


@settings(max_examples=3000, deadline=None)
@given(st.lists(pattern_segment, min_size=1, max_size=5), st.lists(name, min_size=1, max_size=5))
def test_a_path_matches_as_the_reference_says(pattern: list[str], path: list[str]) -> None:
    expected = reference(pattern, path)
    assert expected == Glob("/" + "/".join(pattern)).matches("/" + "/".join(path))


TABLE = [
    ("/l/*.log", "/l/app.log", True),
    ("/l/*.log", "/l/.app.log", True),  # hidden names are names like any other
    ("/l/*.log", "/l/sub/app.log", False),  # `*` never crosses `/`
    ("/l/*", "/l/sub/app.log", False),
    ("/l/app.?", "/l/app.1", True),
    ("/l/app.?", "/l/app.10", False),
    ("/l/?", "/l/x/y", False),
    ("/l/app.[0-9]", "/l/app.7", True),
    ("/l/app.[0-9]", "/l/app.x", False),
    ("/l/app.[!0-9]", "/l/app.x", True),
    ("/l/app.[!0-9]", "/l/app.7", False),
    ("/l/a[!x]b", "/l/a/b", False),  # `[!...]` never matches `/`
    ("/l/a[.-0]b", "/l/a/b", False),  # nor does a range that spans it
    ("/l/a[.-0]b", "/l/a0b", True),
    ("/l/[]x]", "/l/]", True),
    ("/l/[x", "/l/[x", True),  # unclosed: literal
    ("/l/[*]", "/l/*", True),
    ("/l/[*]", "/l/a", False),
    ("/**/app.log", "/app.log", True),  # `**` at the start
    ("/**/app.log", "/a/b/c/app.log", True),
    ("/l/**/app.log", "/l/app.log", True),  # in the middle: zero directories
    ("/l/**/app.log", "/l/a/app.log", True),
    ("/l/**/app.log", "/l/a/b/app.log", True),
    ("/l/**/app.log", "/l/a/b/xapp.log", False),
    ("/l/**/app.log", "/m/app.log", False),
    ("/a/**/b", "/a/b", True),
    ("/a/**/b", "/a/x/y/b", True),
    ("/a/**/b", "/a/x/b/c", False),
    ("/a/**/b/**/c", "/a/b/c", True),
    ("/a/**/b/**/c", "/a/1/b/2/3/c", True),
    ("/l/**", "/l/a", True),  # at the end: everything below
    ("/l/**", "/l/a/b/c.log", True),
    ("/l/**", "/m/a", False),
    ("/l/**/*", "/l/a/b", True),
    ("/l/**/**/x", "/l/x", True),
    ("/l/a**b", "/l/axyb", True),  # not a whole segment: `**` is `*`
    ("/l/a**b", "/l/ax/yb", False),
    ("/l/*/app.log", "/l/x/app.log", True),
    ("/l/*/app.log", "/l/x/y/app.log", False),
    ("/l/App.log", "/l/app.log", False),  # case-sensitive
    ("/l/./x/../app.log", "/l/app.log", True),  # patterns are normalised and made absolute
]


@pytest.mark.parametrize(("pattern", "path", "expected"), TABLE)
def test_table(pattern: str, path: str, expected: bool) -> None:
    assert expected == Glob(pattern).matches(path)
    segments = [s for s in os.path.normpath(pattern).split("/") if s]
    assert expected == reference(segments, [s for s in path.split("/") if s])


def test_patterns_and_paths_are_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert str(tmp_path / "logs/*.log") == Glob("logs/*.log").pattern
    assert Glob("logs/*.log").matches(str(tmp_path / "logs/a.log"))
    assert Glob(str(tmp_path / "logs/*.log")).matches("logs/a.log")
    assert WatchSpec("s", ("logs/*.log",)).wants(str(tmp_path / "logs/a.log"))


@pytest.mark.parametrize(
    ("exclude", "path", "expected"),
    [
        ("*.gz", "/l/app.log.gz", True),  # no `/`: the file name
        ("*.gz", "/l/gz/app.log", False),
        ("*.[0-9]", "/l/app.log.1", True),
        ("*.[0-9]", "/l/app.log.10", False),
        (".*", "/l/.hidden", True),
        (".*", "/l/.d/app.log", False),
        ("app.log", "/any/where/app.log", True),
        ("/l/old/*", "/l/old/app.log", True),  # with a `/`: the whole path
        ("/l/old/*", "/l/old/2024/app.log", False),
        ("/l/old/**", "/l/old/2024/app.log", True),
        ("/l/*.log", "/m/l/app.log", False),
    ],
)
def test_an_exclusion_matches_the_file_name_or_the_whole_path(
    exclude: str, path: str, expected: bool
) -> None:
    assert expected == excluded(path, [exclude])
    assert (not expected) == WatchSpec("s", ("/**",), (exclude,)).wants(path)


def make_tree(root: Path, files: list[str]) -> list[str]:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel + "\n")
    return sorted(str(root / rel) for rel in files)


TREE = [
    "app.log",
    ".app.log",
    "app.log.1",
    "app.log.gz",
    "a/app.log",
    "a/x.log",
    "a/b/app.log",
    "a/b/c/deep.log",
    ".h/app.log",
    "old/app.log",
    "old/2024/app.log",
    "b.a/a",
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("tree")
    return root, make_tree(root, TREE)


@settings(max_examples=400, deadline=None)
@given(st.lists(pattern_segment, min_size=1, max_size=4))
def test_expand_finds_the_files_the_reference_matches(
    tree: tuple[Path, list[str]], pattern: list[str]
) -> None:
    root, files = tree
    glob = str(root) + "/" + "/".join(pattern)
    segments = [s for s in glob.split("/") if s]
    expected = [f for f in files if reference(segments, [s for s in f.split("/") if s])]
    assert expected == expand([glob])


SPECS: list[tuple[list[str], list[str], set[str]]] = [
    (["*.log"], [], {"app.log", ".app.log"}),
    (["*"], ["*.gz", "*.[0-9]"], {"app.log", ".app.log"}),
    (["**/app.log"], ["/old/**"], {"app.log", "a/app.log", "a/b/app.log", ".h/app.log"}),
    (["*/app.log", "a/**/*.log"], [".*"], {"a/app.log", ".h/app.log", "old/app.log", "a/x.log",
                                            "a/b/app.log", "a/b/c/deep.log"}),
    (["**"], ["*.log*", "/a/**"], {"b.a/a"}),
    (["a/*/*/*.log", "nowhere/**"], [], {"a/b/c/deep.log"}),
]  # fmt: skip


@pytest.mark.parametrize(("paths", "exclude", "expected"), SPECS)
def test_discovery_wants_and_replay_agree_on_a_real_tree(
    tree: tuple[Path, list[str]], paths: list[str], exclude: list[str], expected: set[str]
) -> None:
    root, files = tree
    paths = [f"{root}/{p}" for p in paths]
    exclude = [f"{root}{x}" if x.startswith("/") else x for x in exclude]
    found = expand(paths, exclude)
    assert sorted(str(root / e) for e in expected) == found
    spec = WatchSpec("app", tuple(paths), tuple(exclude))
    assert found == [f for f in files if spec.wants(f)]
    sources = [
        Source(name="app", paths=paths, exclude=exclude),
        Source(name="other", paths=["/elsewhere/**"]),  # matches every file name, by name only
    ]

    def replay_picks_app(path: str) -> bool:
        try:
            return pick_source(path, sources).name == "app"
        except ReplayError:  # several match by file name alone
            return False

    assert found == [f for f in files if replay_picks_app(f)]


def test_double_star_does_not_descend_into_symlinked_directories(tmp_path: Path) -> None:
    files = make_tree(tmp_path, ["d/app.log", "d/e/app.log"])
    os.symlink("..", tmp_path / "d/e/up")  # a loop: d/e/up -> d
    os.symlink(tmp_path / "d/e", tmp_path / "alias")
    assert files == expand([f"{tmp_path}/**/app.log"])
    # a segment that is not `**` does follow one
    assert [str(tmp_path / "alias/app.log"), files[0]] == expand([f"{tmp_path}/*/app.log"])
    assert [str(tmp_path / "alias/up/app.log")] == expand([f"{tmp_path}/alias/*/app.log"])


def test_a_symlinked_file_counts_as_a_regular_file_a_fifo_does_not(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("x\n")
    os.symlink(tmp_path / "real.txt", tmp_path / "link.log")
    os.mkfifo(tmp_path / "fifo.log")
    (tmp_path / "dir.log").mkdir()
    assert [str(tmp_path / "link.log")] == expand([f"{tmp_path}/*.log"])


def test_double_star_walks_at_most_max_depth_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(globs, "MAX_DEPTH", 2)
    make_tree(tmp_path, ["a.log", "1/a.log", "1/2/a.log", "1/2/3/a.log"])
    expected = [str(tmp_path / p) for p in ["1/2/a.log", "1/a.log", "a.log"]]
    assert expected == expand([f"{tmp_path}/**/a.log"])


def test_missing_directories_expand_to_nothing(tmp_path: Path) -> None:
    assert [] == expand([f"{tmp_path}/no/such/*.log", f"{tmp_path}/none/**"])


def test_watch_root_is_the_static_prefix_that_exists(tmp_path: Path) -> None:
    (tmp_path / "a/b").mkdir(parents=True)
    assert (str(tmp_path / "a"), False) == watch_root(f"{tmp_path}/a/*.log")
    assert (str(tmp_path / "a"), True) == watch_root(f"{tmp_path}/a/**/x.log")
    assert (str(tmp_path / "a"), True) == watch_root(f"{tmp_path}/a/*/x.log")
    assert (str(tmp_path / "a/b"), False) == watch_root(f"{tmp_path}/a/b/x.log")
    assert (str(tmp_path / "a"), False) == watch_root(f"{tmp_path}/a/c/**/x.log")  # c is missing
    assert str(tmp_path / "a") == Glob(f"{tmp_path}/a/*/x.log").static_prefix()
