from logsidecar.metrics.store import OVERFLOW, Histogram, MetricDef, MetricStore
from logsidecar.rules.observations import Exemplar, Observations


def test_series_beyond_max_series_fold_into_overflow_and_are_counted() -> None:
    store = MetricStore([MetricDef("hits_total", "counter", "", ("user",), max_series=2)])
    obs = Observations(counters={("hits_total", (u,)): [1.0, 1.0] for u in "abcd"})
    store.apply(obs)
    snap = store.snapshot()
    assert {("a",): 1.0, ("b",): 1.0, (OVERFLOW,): 2.0} == snap.series["hits_total"]
    assert {("hits_total",): 2.0} == snap.series["logsidecar_series_overflow_total"]


def test_redefining_keeps_unchanged_metrics_and_resets_changed_ones() -> None:
    a = MetricDef("a_total", "counter", "", ("x",))
    b = MetricDef("b_total", "counter", "", ("x",))
    store = MetricStore([a, b])
    store.inc("a_total", ("1",), 5)
    store.inc("b_total", ("1",), 5)
    store.define([a, MetricDef("b_total", "counter", "", ("y",))])
    snap = store.snapshot()
    assert {("1",): 5.0} == snap.series["a_total"]
    assert {} == snap.series["b_total"]


def test_histograms_count_into_buckets() -> None:
    store = MetricStore([MetricDef("t", "histogram", "", (), buckets=(0.1, 1.0))])
    store.observe("t", (), [0.05, 0.1, 0.5, 3.0])
    assert Histogram([2, 1, 1], 3.65, 4) == store.snapshot().series["t"][()]


def test_gauges_set_then_move() -> None:
    store = MetricStore([MetricDef("g", "gauge", "", ())])
    store.apply(Observations(gauges={("g", ()): [1.0, 5.0, 1.0]}))
    store.apply(Observations(gauges={("g", ()): [0.0, -2.0, 1.0]}))
    assert {(): 3.0} == store.snapshot().series["g"]


def test_state_round_trips_into_a_store_of_the_same_shape() -> None:
    defs = [
        MetricDef("c_total", "counter", "", ("x",)),
        MetricDef("t", "histogram", "", (), buckets=(1.0,)),
    ]
    store = MetricStore(defs)
    store.inc("c_total", ("1",), 3)
    store.observe("t", (), [0.5, 2.0])
    store.inc("logsidecar_lines_total", ("app",), 7)
    restored = MetricStore(defs)
    restored.from_state(store.to_state(), 0.0)
    assert store.snapshot().series == restored.snapshot().series


def test_overflow_counts_observations_not_batches() -> None:
    # one batch carrying 5 observations of a refused series counts 5, as 5 batches of 1 would
    store = MetricStore([MetricDef("hits_total", "counter", "", ("user",), max_series=1)])
    store.apply(Observations(counters={("hits_total", ("a",)): [1.0, 1.0]}))
    store.apply(Observations(counters={("hits_total", ("b",)): [7.5, 5.0]}))
    snap = store.snapshot()
    assert {("a",): 1.0, (OVERFLOW,): 7.5} == snap.series["hits_total"]
    assert {("hits_total",): 5.0} == snap.series["logsidecar_series_overflow_total"]


def test_series_expire_after_their_idle_time_and_free_their_slot() -> None:
    store = MetricStore([MetricDef("g", "gauge", "", ("w",), max_series=1, expire_after=60.0)])
    store.apply(Observations(gauges={("g", ("a",)): [1.0, 3.0, 1.0]}, seen={("g", ("a",)): 100.0}))
    assert 0 == store.expire(159.0)
    assert {("a",): 3.0} == store.snapshot().series["g"]
    assert 1 == store.expire(160.0)
    assert {} == store.snapshot().series["g"]
    store.apply(Observations(gauges={("g", ("b",)): [1.0, 4.0, 1.0]}, seen={("g", ("b",)): 170.0}))
    assert {("b",): 4.0} == store.snapshot().series["g"]  # the slot was freed


def test_series_without_expire_after_never_expire() -> None:
    store = MetricStore([MetricDef("c_total", "counter", "", ())])
    store.apply(Observations(counters={("c_total", ()): [1.0, 1.0]}))
    assert 0 == store.expire(1e12)
    assert {(): 1.0} == store.snapshot().series["c_total"]


def test_exemplars_follow_their_series_into_overflow() -> None:
    store = MetricStore([MetricDef("c_total", "counter", "", ("u",), max_series=1)])
    ex_a, ex_b = Exemplar("trace_id", "a1", 1.0, None), Exemplar("trace_id", "b1", 1.0, 5.0)
    store.apply(
        Observations(
            counters={("c_total", ("a",)): [1.0, 1.0], ("c_total", ("b",)): [1.0, 1.0]},
            exemplars={("c_total", ("a",)): {0: ex_a}, ("c_total", ("b",)): {0: ex_b}},
        )
    )
    assert {("a",): {0: ex_a}, (OVERFLOW,): {0: ex_b}} == store.snapshot().exemplars["c_total"]


def test_self_counts_are_per_source_rule_and_metric() -> None:
    store = MetricStore()
    store.apply(
        Observations(
            lines={"app": 3},
            parse_errors={"app": 1},
            timestamp_errors={"app": 2},
            multiline_dropped={"app": 4},
            rule_matches={"r": 5},
            value_errors={"m": 6},
        )
    )
    series = store.snapshot().series
    assert {("app",): 3.0} == series["logsidecar_lines_total"]
    assert {("app",): 1.0} == series["logsidecar_parse_errors_total"]
    assert {("app",): 2.0} == series["logsidecar_timestamp_errors_total"]
    assert {("app",): 4.0} == series["logsidecar_multiline_lines_dropped_total"]
    assert {("r",): 5.0} == series["logsidecar_rule_matches_total"]
    assert {("m",): 6.0} == series["logsidecar_value_errors_total"]
