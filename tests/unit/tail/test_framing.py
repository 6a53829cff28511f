from hypothesis import given
from hypothesis import strategies as st

from logsidecar.tail.framing import Framer


def frame_all(chunks: list[bytes], limit: int = 65536) -> tuple[list[str], int]:
    framer = Framer(limit)
    lines: list[str] = []
    truncated = 0
    for chunk in chunks:
        out = framer.feed(chunk)
        lines.extend(out.lines)
        truncated += out.truncated
    return lines, truncated


def test_complete_lines_come_out_and_the_partial_waits() -> None:
    framer = Framer()
    assert ["a", "b"] == framer.feed(b"a\nb\npar").lines
    assert 3 == framer.pending
    assert ["partial"] == framer.feed(b"tial\n").lines
    assert 0 == framer.pending


def test_empty_lines_are_lines() -> None:
    assert (["", "x", ""], 0) == frame_all([b"\nx\n\n"])


def test_crlf_is_cut_to_the_text() -> None:
    assert (["one", "two"], 0) == frame_all([b"one\r\ntwo\r", b"\n"])


def test_invalid_utf8_and_nul_bytes_are_kept_as_text() -> None:
    lines, _ = frame_all([b"ok \xff\xfe end\n\x00\x00x\n"])
    assert ["ok \ufffd\ufffd end", "\x00\x00x"] == lines


def test_long_lines_are_cut_and_counted_and_the_rest_skipped() -> None:
    lines, truncated = frame_all([b"short\n" + b"x" * 100 + b"\nnext\n"], limit=10)
    assert (["short", "x" * 10, "next"], 1) == (lines, truncated)


def test_a_long_partial_line_is_cut_without_waiting_for_its_newline() -> None:
    framer = Framer(8)
    out = framer.feed(b"abcdefghijkl")
    assert (["abcdefgh"], 1) == (out.lines, out.truncated)
    assert 0 == framer.pending  # memory stays bounded
    assert [] == framer.feed(b"more of the same line").lines
    assert ["after"] == framer.feed(b"tail\nafter\n").lines


def test_flush_hands_out_the_partial_line() -> None:
    framer = Framer()
    framer.feed(b"no newline")
    assert ["no newline"] == framer.flush().lines
    assert [] == framer.flush().lines


lines_strategy = st.lists(
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), min_size=0, max_size=30
)


@given(lines_strategy, st.lists(st.integers(min_value=0, max_value=200), max_size=20))
def test_any_split_into_chunks_gives_the_same_lines(raw: list[bytes], cuts: list[int]) -> None:
    data = b"".join(line + b"\n" for line in raw)
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    expected, _ = frame_all([data], limit=16)
    actual, _ = frame_all(chunks, limit=16)
    assert expected == actual
    assert len(raw) == len(actual)
