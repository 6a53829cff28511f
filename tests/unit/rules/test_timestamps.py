import pytest

from logsidecar.rules.timestamps import format_problem, make_time_parser


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [
        ("rfc3339", "2026-01-01T00:00:01Z", 1767225601.0),
        ("rfc3339", "2026-01-01T01:00:01.5+01:00", 1767225601.5),
        ("rfc3339", "2026-01-01 00:00:01", 1767225601.0),  # no zone: UTC
        ("unix", 1767225601.25, 1767225601.25),
        ("unix", "1767225601", 1767225601.0),
        ("unix_ms", 1767225601250, 1767225601.25),
        ("unix_us", "1767225601000000", 1767225601.0),
        ("unix_ns", 1767225601000000000, 1767225601.0),
        ("%d/%b/%Y:%H:%M:%S %z", "01/Jan/2026:02:00:01 +0200", 1767225601.0),
        ("%Y-%m-%d %H:%M:%S", "2026-01-01 00:00:01", 1767225601.0),
        ("rfc3339", "yesterday", None),
        ("rfc3339", 17, None),
        ("unix", "soon", None),
        ("%Y-%m-%d", "01/01/2026", None),
    ],
)
def test_formats(fmt: str, value: object, expected: float | None) -> None:
    assert format_problem(fmt) is None
    assert expected == make_time_parser(fmt)(value)


def test_a_repeated_strptime_value_is_parsed_once() -> None:
    parse = make_time_parser("%Y-%m-%d %H:%M:%S")
    assert parse("2026-01-01 00:00:01") == parse("2026-01-01 00:00:01") == 1767225601.0


def test_unknown_formats_are_explained() -> None:
    assert format_problem("iso") == (
        "unknown timestamp format 'iso' (one of: rfc3339, unix, unix_ms, unix_us, unix_ns, "
        "or a strptime format)"
    )
    assert "does not read back what it writes" in (format_problem("%Y %Q") or "")
