"""Bounded memory of new_value and cardinality: a million distinct values, fed in batches of
10,000 as the engine would, leave at most `max_tracked` values per group and a retained size
under the bound the module docstring states; overflow counts every evicted or refused value.
Run with -s to see the figures."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

from logsidecar.detect.distinct import CardinalityMeasure, NewValueMeasure
from logsidecar.detect.measure import Measure
from logsidecar.rules.detectors import Cardinality, NewValue

MIB = 1024 * 1024
TOTAL = 1_000_000
BATCH = 10_000


def retained(
    make: Callable[[], Measure], feed: Callable[[Measure], None]
) -> tuple[Measure, int, int]:
    """(the measure, bytes it retains after `feed`, peak bytes while feeding)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        measure = make()
        feed(measure)
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return measure, after - before, peak - before


def batch(k: int) -> dict[str, int]:
    """The k-th batch of distinct 8-character values, each seen once."""
    return dict.fromkeys(map("v{:07d}".format, range(k * BATCH, (k + 1) * BATCH)), 1)


def test_new_value_keeps_max_tracked_values_of_a_million() -> None:
    d = NewValue.model_validate(
        {"name": "N", "type": "new_value", "rule": "r", "field": "f", "max_tracked": 10_000}
    )

    def feed(m: Measure) -> None:
        for k in range(TOTAL // BATCH):
            m.add(
                0,
                1000.0 + k / 10,
                (),
                BATCH,
                batch(k),
            )

    m, size, peak = retained(lambda: NewValueMeasure(d, 1000.0), feed)
    assert isinstance(m, NewValueMeasure)
    print(
        f"\nnew_value, 1e6 distinct 8-char values, max_tracked 10000: retains {size / MIB:.2f} MiB (peak {peak / MIB:.2f} MiB)"
    )
    assert (len(m.known), len(m.recent), m.overflow) == (10_000, 10_000, TOTAL - 10_000)
    assert m.read(1100.0)[()].value == 10_000
    assert size < 4 * MIB


def test_new_value_with_values_of_256_characters() -> None:
    d = NewValue.model_validate(
        {"name": "N", "type": "new_value", "rule": "r", "field": "f", "max_tracked": 10_000}
    )

    def feed(m: Measure) -> None:
        for k in range(5):
            m.add(
                0,
                1000.0,
                (),
                BATCH,
                {f"{i:07d}" + "x" * 293: 1 for i in range(k * BATCH, (k + 1) * BATCH)},
            )

    m, size, peak = retained(lambda: NewValueMeasure(d, 1000.0), feed)
    print(
        f"\nnew_value, 50000 distinct values cut to 256 chars, max_tracked 10000: retains {size / MIB:.2f} MiB (peak {peak / MIB:.2f} MiB)"
    )
    assert m.overflow == 40_000
    assert size < 6 * MIB


def test_cardinality_keeps_max_tracked_values_per_group_of_a_million() -> None:
    d = Cardinality.model_validate(
        {
            "name": "C",
            "type": "cardinality",
            "rule": "r",
            "field": "user",
            "group_by": ["ip"],
            "window": 600,
            "condition": {"gt": 20},
            "max_tracked": 10_000,
            "max_groups": 3,
        }
    )
    groups = [("10.0.0.1",), ("10.0.0.2",), ("10.0.0.3",), ("10.0.0.4",)]

    def feed(m: Measure) -> None:
        for k in range(TOTAL // BATCH):
            values = batch(k)
            m.add(0, 1000.0 + k / 10, groups[k % 4], BATCH, values)

    m, size, peak = retained(lambda: CardinalityMeasure(d, 1000.0), feed)
    assert isinstance(m, CardinalityMeasure)
    print(
        f"\ncardinality, 1e6 distinct 8-char values over 4 groups (max_groups 3), max_tracked 10000: retains {size / MIB:.2f} MiB (peak {peak / MIB:.2f} MiB)"
    )
    # 3 groups keep 10000 each and refuse the rest of their 250000; the 4th group's 25 batches
    # are refused whole (their matches counted)
    assert m.overflow == 3 * (250_000 - 10_000) + 25 * BATCH
    assert {g: r.value for g, r in m.read(1100.0).items()} == {g: 10_000.0 for g in groups[:3]}
    assert size < 3 * 2 * MIB
