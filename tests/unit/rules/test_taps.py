"""Merging tap batches: what `pipeline` does to collect the taps of several batches."""

from logsidecar.rules.taps import Tap, TapBatch, merge_taps

A, B = Tap("r", ("zone",), "user"), Tap("s")


def test_counts_and_values_add_and_the_last_three_samples_of_each_time_and_group_stay() -> None:
    first = TapBatch(
        {(1.0, ("eu",)): 2},
        {(1.0, ("eu",)): {"ann": 2}},
        [(1.0, ("eu",), "l0"), (1.0, ("eu",), "l1"), (1.0, ("eu",), "l2")],
    )
    second = TapBatch(
        {(1.0, ("eu",)): 1, (2.0, ("us",)): 1},
        {(1.0, ("eu",)): {"ann": 1, "bob": 1}, (2.0, ("us",)): {"cy": 1}},
        [(1.0, ("eu",), "l3"), (2.0, ("us",), "l4")],
    )
    into: dict[Tap, TapBatch] = {}
    merge_taps(into, {A: first})
    merge_taps(into, {A: second, B: TapBatch({(2.0, ()): 5})})
    assert {
        A: TapBatch(
            {(1.0, ("eu",)): 3, (2.0, ("us",)): 1},
            {(1.0, ("eu",)): {"ann": 3, "bob": 1}, (2.0, ("us",)): {"cy": 1}},
            [
                (1.0, ("eu",), "l1"),
                (1.0, ("eu",), "l2"),
                (1.0, ("eu",), "l3"),
                (2.0, ("us",), "l4"),
            ],
        ),
        B: TapBatch({(2.0, ()): 5}),
    } == into


def test_the_merged_batches_are_left_unchanged() -> None:
    batch = TapBatch({(1.0, ("eu",)): 1}, {(1.0, ("eu",)): {"ann": 1}}, [(1.0, ("eu",), "l")])
    into: dict[Tap, TapBatch] = {}
    merge_taps(into, {A: batch})
    merge_taps(into, {A: batch})
    assert TapBatch({(1.0, ("eu",)): 1}, {(1.0, ("eu",)): {"ann": 1}}, [(1.0, ("eu",), "l")]) == (
        batch
    )
    assert {(1.0, ("eu",)): {"ann": 2}} == into[A].values
