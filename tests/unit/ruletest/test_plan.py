"""Input lines: block scalars split into lines, generate placeholders, batches per instant."""

from __future__ import annotations

import pytest

from logsidecar.ruletest.model import Generate
from logsidecar.ruletest.plan import Batch, batches, generated, render, split_lines

START = 1767225600.0  # 2026-01-01T00:00:00Z


def test_split_lines() -> None:
    assert ["a"] == split_lines("a")
    assert ["a", "b"] == split_lines("a\nb\n")
    assert ["a", "", "b"] == split_lines("a\r\n\nb")
    assert [""] == split_lines("")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("n={i}", "n=7"),
        ("n={i:03d} x", "n=007 x"),
        ("{at}", "2026-01-01T00:01:30Z"),
        ("[{at:%d/%b/%Y:%H:%M:%S +0000}]", "[01/Jan/2026:00:01:30 +0000]"),
        ('{"n": {i}, "k": {"x": 1}}', '{"n": 7, "k": {"x": 1}}'),
        ("{j} {at", "{j} {at"),
    ],
)
def test_render(template: str, expected: str) -> None:
    assert expected == render(template, 7, START + 90)


def test_render_fractional_time() -> None:
    assert "2026-01-01T00:00:00.500Z" == render("{at}", 0, START + 0.5)


def test_generated_lines_and_their_offsets() -> None:
    spec = Generate(start=60.0, every=0.5, count=3, line="#{i} at {at:%M:%S}")
    assert [(60.0, "#0 at 01:00"), (60.5, "#1 at 01:00"), (61.0, "#2 at 01:01")] == list(
        generated(spec, START)
    )


def test_generated_block_lines_arrive_together() -> None:
    spec = Generate(start=0.0, every=10.0, count=2, line="head {i}\n  tail\n")
    assert [(0.0, "head 0"), (0.0, "  tail"), (10.0, "head 1"), (10.0, "  tail")] == list(
        generated(spec, START)
    )


def test_batches_group_one_source_and_instant_in_written_order() -> None:
    entries = [(2.0, "a", "x"), (1.0, "b", "y"), (1.0, "a", "z"), (2.0, "a", "w"), (1.0, "b", "v")]
    assert (
        Batch(1.0, "b", ("y", "v")),
        Batch(1.0, "a", ("z",)),
        Batch(2.0, "a", ("x", "w")),
    ) == batches(entries)
