"""The service's settings: defaults, the environment, overrides, and a bad value named."""

import pytest

from service.settings import ServiceSettings, SettingsError, load_settings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ServiceSettings.model_fields:
        monkeypatch.delenv(f"STOPLINE_SERVICE_{name.upper()}", raising=False)


def test_the_defaults():
    settings = load_settings()
    assert settings.model_dump(mode="json") == {
        "bundle": "artifacts/model", "host": "127.0.0.1", "port": 8000, "max_batch_rows": 1000,
        "max_body_bytes": 1_048_576, "max_in_flight": 64, "retry_after_s": 1, "shutdown_grace_s": 10,
        "linger_bytes": 16_777_216, "linger_s": 5.0, "head_timeout_s": 5.0, "max_head_bytes": 16_384,
        "max_headers": 100, "log_level": "info",
    }


def test_every_setting_is_described():
    assert all(field.description for field in ServiceSettings.model_fields.values())


def test_the_environment_sets_and_overrides_win(monkeypatch):
    monkeypatch.setenv("STOPLINE_SERVICE_PORT", "9000")
    monkeypatch.setenv("STOPLINE_SERVICE_MAX_IN_FLIGHT", "8")
    monkeypatch.setenv("STOPLINE_SERVICE_LOG_LEVEL", "WARNING")
    settings = load_settings(port=9100, host=None)
    assert (settings.port, settings.max_in_flight, settings.log_level, settings.host) == (9100, 8, "warning",
                                                                                          "127.0.0.1")


@pytest.mark.parametrize("env, value, message", [
    ("PORT", "0", "port (STOPLINE_SERVICE_PORT): Input should be greater than or equal to 1, got '0'"),
    ("MAX_BODY_BYTES", "lots", "max_body_bytes (STOPLINE_SERVICE_MAX_BODY_BYTES): Input should be a valid integer, "
     "unable to parse string as an integer, got 'lots'"),
    ("SHUTDOWN_GRACE_S", "-1", "shutdown_grace_s (STOPLINE_SERVICE_SHUTDOWN_GRACE_S): Input should be greater than "
     "or equal to 0, got '-1'"),
])
def test_a_bad_value_fails_naming_the_setting(monkeypatch, env, value, message):
    monkeypatch.setenv(f"STOPLINE_SERVICE_{env}", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == f"invalid setting: {message}"


def test_every_bad_value_is_named_at_once():
    with pytest.raises(SettingsError) as caught:
        load_settings(port=0, max_batch_rows=0)
    assert str(caught.value).count("STOPLINE_SERVICE_") == 2
