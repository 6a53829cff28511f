"""Selectors name one series: parsing, resolving against the metrics, reading a snapshot."""

from __future__ import annotations

import pytest

from logsidecar.metrics.defs import Histogram, MetricDef
from logsidecar.metrics.store import Snapshot
from logsidecar.ruletest.selectors import (
    Selector,
    SelectorError,
    Series,
    parse_selector,
    resolve,
)

DEFS = {
    "hits_total": MetricDef("hits_total", "counter", "", ("code", "path")),
    "up_total": MetricDef("up_total", "counter", ""),
    "took": MetricDef("took", "histogram", "", ("path",), (0.1, 1.0)),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("up_total", Selector("up_total", ())),
        ("up_total{}", Selector("up_total", ())),
        (
            ' hits_total{ code = "500" , path="/a",} ',
            Selector("hits_total", (("code", "500"), ("path", "/a"))),
        ),
        ("hits_total{path='/a'}", Selector("hits_total", (("path", "/a"),))),
        (r'hits_total{path="a\"b\\c\nd"}', Selector("hits_total", (("path", 'a"b\\c\nd'),))),
        ('a:b_c{x=""}', Selector("a:b_c", (("x", ""),))),
    ],
)
def test_parse(text: str, expected: Selector) -> None:
    assert expected == parse_selector(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "'' does not start with a metric name"),
        ("9lives", "'9lives' does not start with a metric name"),
        ('x{a!="b"}', "'x{a!=\"b\"}': only `=` is allowed ('!='): a selector names one series"),
        ('x{a=~"b"}', "'x{a=~\"b\"}': only `=` is allowed ('=~'): a selector names one series"),
        ("x{a=b}", "'x{a=b}': a label value is quoted, e.g. status=\"500\""),
        ('x{a="b"', "'x{a=\"b\"': missing `}`"),
        ('x{a="b', "'x{a=\"b': unterminated label value"),
        ('x{a="b" c="d"}', '\'x{a="b" c="d"}\': expected `,` or `}` at \'c="d"}\''),
        ('x{a="b",a="c"}', "'x{a=\"b\",a=\"c\"}': label 'a' given twice"),
        ('x{"a"="b"}', '\'x{"a"="b"}\': expected a label name at \'"a"="b"}\''),
        ("x{a}", "'x{a}': expected `=` after label 'a'"),
        ("x y", "'x y': unexpected 'y' after the selector"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_selector(text)
    assert message == str(caught.value)


def test_resolve_puts_labels_in_the_metric_order() -> None:
    series = resolve(parse_selector('hits_total{path="/a",code="500"}'), DEFS)
    assert (
        Series("hits_total", "value", ("500", "/a"), 'hits_total{code="500",path="/a"}') == series
    )


@pytest.mark.parametrize(
    ("text", "part", "bucket", "canonical"),
    [
        ('took_bucket{path="/a",le="0.1"}', "bucket", 0, 'took_bucket{path="/a",le="0.1"}'),
        ('took_bucket{le="1",path="/a"}', "bucket", 1, 'took_bucket{path="/a",le="1.0"}'),
        ('took_bucket{path="/a",le="+Inf"}', "bucket", 2, 'took_bucket{path="/a",le="+Inf"}'),
        ('took_sum{path="/a"}', "sum", 0, 'took_sum{path="/a"}'),
        ('took_count{path="/a"}', "count", 0, 'took_count{path="/a"}'),
    ],
)
def test_histogram_series(text: str, part: str, bucket: int, canonical: str) -> None:
    assert Series("took", part, ("/a",), canonical, bucket) == resolve(parse_selector(text), DEFS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "hit_total",
            "unknown metric 'hit_total': the rule files define no such series (did you mean 'hits_total'?)",
        ),
        ("zzz", "unknown metric 'zzz': the rule files define no such series"),
        ('up_total{a="b"}', "metric 'up_total' has no label 'a' (its labels: none)"),
        ('hits_total{code="1"}', "'hits_total' needs every label of its series; missing: path"),
        ('took_bucket{path="/a"}', "'took_bucket' needs every label of its series; missing: le"),
        (
            'took_bucket{path="/a",le="x"}',
            'le=\'x\' is not a number (write e.g. le="0.25" or le="+Inf")',
        ),
        ('took_sum{path="/a",le="1"}', "metric 'took' has no label 'le' (its labels: path)"),
        (
            "up_total_count",
            "unknown metric 'up_total_count': the rule files define no such series (did you mean 'up_total'?)",
        ),
    ],
)
def test_resolve_errors(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        resolve(parse_selector(text), DEFS)
    assert message == str(caught.value)


def test_read_counters_and_histograms_as_prometheus_shows_them() -> None:
    snapshot = Snapshot(
        dict(DEFS),
        {
            "hits_total": {("500", "/a"): 3.0},
            "took": {("/a",): Histogram([2, 1, 4], total=9.5, count=7)},
        },
    )

    def read(text: str) -> float | None:
        return resolve(parse_selector(text), DEFS).read(snapshot)

    assert 3.0 == read('hits_total{code="500",path="/a"}')
    assert None is read('hits_total{code="404",path="/a"}')
    assert None is read("up_total")
    assert 2.0 == read('took_bucket{path="/a",le="0.1"}')
    assert 3.0 == read('took_bucket{path="/a",le="1"}')
    assert 7.0 == read('took_bucket{path="/a",le="+Inf"}')
    assert 9.5 == read('took_sum{path="/a"}')
    assert 7.0 == read('took_count{path="/a"}')
    assert None is read('took_count{path="/b"}')
