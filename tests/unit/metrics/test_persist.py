"""The store's checkpoint section: what it saves, what it restores, and what it refuses."""

import json

import pytest

from logsidecar.errors import StateError
from logsidecar.metrics.store import MetricDef, MetricStore
from logsidecar.rules.observations import Exemplar, Observations

GAUGE = MetricDef("queue_depth", "gauge", "", ("w",), expire_after=60.0)
COUNTER = MetricDef("hits_total", "counter", "Hits.", ("u",))


def round_trip(store: MetricStore, defs: list[MetricDef], now: float) -> MetricStore:
    restored = MetricStore(defs)
    restored.from_state(json.loads(json.dumps(store.to_state())), now)
    return restored


def test_a_restored_series_still_expires_when_it_would_have() -> None:
    store = MetricStore([GAUGE])
    store.apply(
        Observations(
            gauges={("queue_depth", ("a",)): [1.0, 3.0, 1.0]}, seen={("queue_depth", ("a",)): 100.0}
        )
    )
    restored = round_trip(store, [GAUGE], now=130.0)
    assert 0 == restored.expire(159.0)
    assert 1 == restored.expire(160.0)
    assert {} == restored.snapshot().series["queue_depth"]


def test_a_series_saved_without_its_last_update_expires_after_a_full_idle_time() -> None:
    # version-1 state files have no `seen`: such a series counts as updated at restore time
    store = MetricStore([GAUGE])
    store.set("queue_depth", ("a",), 3.0)
    state = store.to_state()
    state["queue_depth"].pop("seen", None)
    restored = MetricStore([GAUGE])
    restored.from_state(state, 1000.0)
    assert 0 == restored.expire(1059.0)
    assert 1 == restored.expire(1060.0)


def test_exemplars_are_restored_with_their_series() -> None:
    hist = MetricDef("t_seconds", "histogram", "", (), buckets=(1.0,))
    store = MetricStore([COUNTER, hist])
    ex = Exemplar("trace_id", "abc", 1.0, 5.0)
    ex_hist = Exemplar("trace_id", "def", 2.5, None)
    store.apply(
        Observations(
            counters={("hits_total", ("a",)): [1.0, 1.0]},
            histograms={("t_seconds", ()): [2.5]},
            exemplars={("hits_total", ("a",)): {0: ex}, ("t_seconds", ()): {1: ex_hist}},
        )
    )
    restored = round_trip(store, [COUNTER, hist], now=0.0)
    assert store.snapshot().exemplars == restored.snapshot().exemplars
    assert {("a",): {0: ex}} == restored.snapshot().exemplars["hits_total"]


def test_a_new_help_text_or_max_series_keeps_the_series_on_reload_and_restart() -> None:
    store = MetricStore([COUNTER])
    store.inc("hits_total", ("a",), 4)
    edited = MetricDef("hits_total", "counter", "Hits, now explained.", ("u",), max_series=5)
    store.define([edited])
    assert {("a",): 4.0} == store.snapshot().series["hits_total"]
    assert "Hits, now explained." == store.snapshot().defs["hits_total"].help
    assert {("a",): 4.0} == round_trip(store, [edited], 0.0).snapshot().series["hits_total"]


@pytest.mark.parametrize(
    "changed",
    [
        MetricDef("hits_total", "counter", "Hits.", ("user",)),
        MetricDef("hits_total", "gauge", "Hits.", ("u",)),
    ],
)
def test_a_new_label_set_or_type_drops_the_series(changed: MetricDef) -> None:
    store = MetricStore([COUNTER])
    store.inc("hits_total", ("a",), 4)
    assert {} == round_trip(store, [changed], 0.0).snapshot().series["hits_total"]
    store.define([changed])
    assert {} == store.snapshot().series["hits_total"]


def test_new_buckets_drop_a_histogram() -> None:
    hist = MetricDef("t_seconds", "histogram", "", (), buckets=(1.0,))
    store = MetricStore([hist])
    store.observe("t_seconds", (), [0.5])
    rebucketed = MetricDef("t_seconds", "histogram", "", (), buckets=(1.0, 2.0))
    assert {} == round_trip(store, [rebucketed], 0.0).snapshot().series["t_seconds"]


def test_a_malformed_row_is_a_state_error_naming_the_metric() -> None:
    state = {
        "hits_total": {
            "kind": "counter",
            "labels": ["u"],
            "buckets": [],
            "series": [[["a", "b"], 1.0]],
        }
    }
    with pytest.raises(StateError, match="metric 'hits_total'"):
        MetricStore([COUNTER]).from_state(state, 0.0)
