import pytest

from logsidecar.settings import SettingsError, load_settings, unknown_variables


def test_log_levels_and_formats_are_accepted_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGSIDECAR_LOG_LEVEL", "INFO")
    monkeypatch.setenv("LOGSIDECAR_LOG_FORMAT", "Console")
    settings = load_settings()
    assert ("info", "console") == (settings.log_level, settings.log_format)


def test_an_invalid_setting_is_one_line_naming_variable_and_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOGSIDECAR_LOG_LEVEL", "verbose")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert 1 == len(message.splitlines())
    assert message.startswith(
        "invalid setting log_level (--log-level or LOGSIDECAR_LOG_LEVEL)='verbose': "
    )


def test_flags_override_the_environment_and_each_bad_value_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOGSIDECAR_PORT", "1234")
    assert 4321 == load_settings({"port": "4321"}).port
    with pytest.raises(SettingsError) as caught:
        load_settings({"port": "70000", "poll_interval": "soon"})
    lines = str(caught.value).splitlines()
    assert ["port", "poll_interval"] == [line.split()[2] for line in lines]


def test_unknown_logsidecar_variables_are_reported() -> None:
    env = {
        "LOGSIDECAR_STATEDIR": "/x",
        "LOGSIDECAR_STATE_DIR": "/y",
        "PATH": "/bin",
        "logsidecar_port": "1",
    }
    assert ["LOGSIDECAR_STATEDIR"] == unknown_variables(env)


def test_strict_startup_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert False is load_settings().strict_startup
    monkeypatch.setenv("LOGSIDECAR_STRICT_STARTUP", "true")
    assert True is load_settings().strict_startup
