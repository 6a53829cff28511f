"""The bank on the inputs of the value and rate types: new_value and cardinality read the taps'
values, spike waits for its baseline."""

from __future__ import annotations

from logsidecar.detect.bank import Detectors
from logsidecar.rules.detectors import Cardinality, Comparison, NewValue, Spike
from logsidecar.rules.taps import Tap
from tests.unit.detect.bankdata import START, batch, steps

EXC = Tap("exception", (), "exc_class")
USERS = Tap("login_failed", ("ip",), "user")
LOGINS = Tap("login_failed")

NEW = NewValue(
    name="NewException",
    type="new_value",
    rule="exception",
    field="exc_class",
    learn_for=60.0,
    window=120.0,
    labels={"severity": "ticket"},
    annotations={"summary": "{{ value }} new exception class(es)"},
)
STUFFING = Cardinality(
    name="CredStuffing",
    type="cardinality",
    rule="login_failed",
    field="user",
    group_by=["ip"],
    window=600.0,
    condition=Comparison(gt=2),
)
SPIKE = Spike(
    name="LoginSpike",
    type="spike",
    rule="login_failed",
    window=60.0,
    baseline=300.0,
    method="ratio",
    threshold=4.0,
    min_current=5.0,
)


def test_new_value_after_learning_fires_with_the_values_and_its_line() -> None:
    bank = Detectors([NEW], START, interval=1.0)
    bank.feed(batch(EXC, START + 10, (), ["KeyError at a"], {"KeyError": 1}))
    assert bank.evaluate(START + 100) == []  # learned silently
    assert bank.feed(batch(EXC, START + 110, (), ["KeyError at b"], {"KeyError": 1})) == []
    (fired,) = bank.feed(batch(EXC, START + 120, (), ["OSError at c"], {"OSError": 1}))
    assert (fired.state, fired.value, fired.labels) == ("firing", 1.0, (("severity", "ticket"),))
    assert fired.condition == "1 new value of exc_class in 2m: OSError"
    assert fired.annotations == (("summary", "1 new exception class(es)"),)
    assert fired.lines == ("KeyError at a", "KeyError at b", "OSError at c")
    assert steps(bank.evaluate(START + 1000)) == [(240.0, "NewException", "firing", "resolved")]


def test_cardinality_counts_distinct_values_per_group() -> None:
    bank = Detectors([STUFFING], START)
    t = START + 5
    assert bank.feed(batch(USERS, t, ("10.0.0.1",), ["a", "b"], {"alice": 1, "bob": 1})) == []
    assert bank.feed(batch(USERS, t + 1, ("10.0.0.2",), ["c"], {"carol": 1})) == []
    (fired,) = bank.feed(batch(USERS, t + 2, ("10.0.0.1",), ["d"], {"dave": 1, "alice": 1}))
    assert (fired.state, fired.value, fired.labels) == ("firing", 3.0, (("ip", "10.0.0.1"),))
    assert fired.condition == "distinct user 3 > 2"
    assert bank.snapshot().values == (
        ("CredStuffing", (("ip", "10.0.0.1"),), 3.0),
        ("CredStuffing", (("ip", "10.0.0.2"),), 1.0),
    )


def test_spike_does_not_fire_before_its_baseline_then_fires() -> None:
    bank = Detectors([SPIKE], START, interval=1.0)
    burst = ["failed"] * 20
    assert bank.feed(batch(LOGINS, START + 100, (), burst)) == []  # no full baseline yet
    for minute in range(1, 6):  # one a minute: the baseline mean is 1
        assert bank.feed(batch(LOGINS, START + 300 + minute * 60, (), ["failed"])) == []
    (fired,) = bank.feed(batch(LOGINS, START + 700, (), burst))
    assert (fired.time, fired.state) == (START + 700, "firing")
    assert fired.value is not None and fired.value >= 4
