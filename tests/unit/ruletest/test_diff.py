"""The failure text, exactly, for small cases; and its JSON."""

from __future__ import annotations

from logsidecar.ruletest.diff import (
    AnomalyFailure,
    MetricFailure,
    SeriesDiff,
    as_json,
    format_duration,
    format_number,
    render,
)
from logsidecar.ruletest.plan import FiringAlert, Where

WHERE = Where("rules/x.test.yaml", 12, 9)


def test_durations_and_numbers() -> None:
    assert ["0s", "10s", "1m", "1m30s", "1h", "1h5s", "1.5s", "2h3m"] == [
        format_duration(s) for s in (0, 10, 60, 90, 3600, 3605, 1.5, 7380)
    ]
    assert ["60", "0.1", "+Inf", "-Inf", "NaN", "-3"] == [
        format_number(v) for v in (60.0, 0.1, float("inf"), float("-inf"), float("nan"), -3.0)
    ]


def test_metric_failure_text() -> None:
    failure = MetricFailure(
        WHERE,
        "burst",
        120.0,
        (
            SeriesDiff('errors_total{status="500"}', 60.0, 59.0),
            SeriesDiff('errors_total{status="404"}', None, 2.0),
            SeriesDiff("took_sum", 0.5, None),
        ),
    )
    assert (
        "rules/x.test.yaml:12:9: test 'burst': metrics at 2m differ (- expected, + actual):\n"
        '  - errors_total{status="500"} 60\n'
        '  + errors_total{status="500"} 59\n'
        '  - errors_total{status="404"} absent\n'
        '  + errors_total{status="404"} 2\n'
        "  - took_sum 0.5\n"
        "  + took_sum absent\n"
    ) == render(failure)


def test_anomaly_failure_text() -> None:
    billing = (("severity", "page"), ("upstream", "billing"))
    search = (("severity", "page"), ("upstream", "search"))
    failure = AnomalyFailure(
        WHERE,
        "burst",
        90.0,
        "Burst",
        expected=(FiringAlert(billing), FiringAlert(search, (("summary", "50 via search"),))),
        actual=(
            FiringAlert(search, (("summary", "51 via search"),)),
            FiringAlert((("upstream", "x"),)),
        ),
        pending=((billing, 48.0),),
        values=(((("upstream", "billing"),), 50.0),),
    )
    assert (
        "rules/x.test.yaml:12:9: test 'burst': Burst firing at 1m30s differs (- expected, + actual):\n"
        '  - {severity="page",upstream="billing"}\n'
        '  - {severity="page",upstream="search"} annotations {summary="50 via search"}\n'
        '  + {severity="page",upstream="search"} annotations {summary="51 via search"}\n'
        '  + {upstream="x"}\n'
        '  # pending since 48s: {severity="page",upstream="billing"}\n'
        '  # value 50: {upstream="billing"}\n'
    ) == render(failure)


def test_alerts_in_both_are_context() -> None:
    both = FiringAlert((("upstream", "a"),))
    failure = AnomalyFailure(
        WHERE, "t", 0.0, "D", (both,), (both, FiringAlert((("upstream", "b"),)))
    )
    assert (
        "rules/x.test.yaml:12:9: test 't': D firing at 0s differs (- expected, + actual):\n"
        '    {upstream="a"}\n'
        '  + {upstream="b"}\n'
    ) == render(failure)


def test_json() -> None:
    failure = MetricFailure(WHERE, "t", 61.0, (SeriesDiff("x_total", None, float("inf")),))
    assert {
        "file": "rules/x.test.yaml",
        "line": 12,
        "column": 9,
        "test": "t",
        "at": "1m1s",
        "at_seconds": 61.0,
        "kind": "metrics",
        "series": [{"series": "x_total", "expected": None, "actual": "+Inf"}],
    } == as_json(failure)
    alert = AnomalyFailure(WHERE, "t", 1.0, "D", (FiringAlert((("a", "b"),), ()),), ())
    assert {
        "kind": "anomalies",
        "detector": "D",
        "expected": [{"labels": {"a": "b"}, "annotations": {}}],
        "actual": [],
        "pending": [],
        "values": [],
    }.items() <= as_json(alert).items()
