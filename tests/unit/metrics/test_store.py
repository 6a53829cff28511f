from logsidecar.metrics.store import OVERFLOW, Histogram, MetricDef, MetricStore
from logsidecar.rules.engine import Observations


def test_series_beyond_max_series_fold_into_overflow_and_are_counted() -> None:
    store = MetricStore([MetricDef("hits_total", "counter", "", ("user",), max_series=2)])
    obs = Observations(counters={("hits_total", (u,)): 1.0 for u in "abcd"})
    store.apply("app", obs)
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
    store.apply("s", Observations(gauges={("g", ()): (True, 5.0)}))
    store.apply("s", Observations(gauges={("g", ()): (False, -2.0)}))
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
    restored.load_state(store.to_state())
    assert store.snapshot().series == restored.snapshot().series
