from logsidecar.rules.multiline import Joiner
from logsidecar.rules.regex import compile_pattern


def joiner(max_lines: int = 10, timeout: float = 2.0) -> Joiner:
    return Joiner(compile_pattern(r"^\d"), max_lines, timeout)


def test_a_start_line_completes_the_pending_event() -> None:
    j = joiner()
    assert ([], 0) == j.feed("f", ["1 a", " b", " c"], 0.0)
    assert (["1 a\n b\n c"], 0) == j.feed("f", ["2 d"], 1.0)


def test_lines_before_any_start_make_an_event_of_their_own() -> None:
    j = joiner()
    assert (["tail of an earlier event\n more"], 0) == j.feed(
        "f", ["tail of an earlier event", " more", "1 new"], 0.0
    )


def test_files_do_not_mix() -> None:
    j = joiner()
    j.feed("a", ["1 a"], 0.0)
    j.feed("b", ["1 b"], 0.0)
    assert (["1 a\n a2"], 0) == j.feed("a", [" a2", "2 a"], 0.0)
    assert ["1 b", "2 a"] == sorted(j.flush(0.0, force=True))


def test_max_lines_drops_and_counts_the_rest() -> None:
    j = joiner(max_lines=2)
    assert (["1\n x"], 3) == j.feed("f", ["1", " x", " y", " z", " w", "2"], 0.0)


def test_quiet_events_flush_after_the_timeout_and_trailing_blank_lines_go() -> None:
    j = joiner(timeout=2.0)
    j.feed("f", ["1 a", " b", "", ""], 10.0)
    assert [] == j.flush(11.9)
    assert ["1 a\n b"] == j.flush(12.0)
    assert 0 == j.pending


def test_state_round_trips() -> None:
    j = joiner()
    j.feed("f", ["1 a", " b"], 5.0)
    other = joiner(max_lines=1)
    other.restore(j.state())
    assert [{"path": "f", "lines": ["1 a"], "last": 5.0}] == other.state()  # cut to max_lines
