"""Configuration comes from the environment; production refuses to start half-configured."""

from __future__ import annotations

import pytest

from config import ConfigError, load_config

GOOD_PRODUCTION = {
    "SECRET_KEY": "x" * 40,
    "FIELD_ENCRYPTION_KEY": "C41STp6NLqfgE5CzSgsDfYA9ohwqG1_JUaXkjVpDuLs=",
    "PUBLIC_BASE_URL": "https://hotline.example.org",
    "DATABASE_URL": "postgresql://hotline@db/hotline",
    "TELEPHONY": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_NUMBER": "+862200000000",
}


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in GOOD_PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    return monkeypatch


def test_a_complete_production_environment_loads(production_env: pytest.MonkeyPatch) -> None:
    settings = load_config("production")
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.DATABASE_URL.startswith("postgresql+psycopg://")
    assert settings.SIMULATOR_ENABLED is False


@pytest.mark.parametrize(
    "variable", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY", "PUBLIC_BASE_URL", "DATABASE_URL", "TWILIO_AUTH_TOKEN"]
)
def test_production_names_the_missing_variable(production_env: pytest.MonkeyPatch, variable: str) -> None:
    production_env.delenv(variable)
    with pytest.raises(ConfigError) as error:
        load_config("production")
    assert error.value.variable == variable
    assert variable in str(error.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOTLINE_TZ", "Mars/Olympus"),
        ("TELEPHONY", "carrier-pigeon"),
        ("FIELD_ENCRYPTION_KEY", "not-a-key"),
        ("REDIS_URL", "http://x"),
        ("DATABASE_POOL_SIZE", "0"),
        ("DATABASE_POOL_OVERFLOW", "many"),
    ],
)
def test_wrong_values_are_refused_with_the_variable_named(
    production_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    production_env.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_config("production")
    assert error.value.variable == variable


def test_the_postgresql_pool_keeps_twenty_connections_and_opens_none_beyond(
    production_env: pytest.MonkeyPatch,
) -> None:
    options = load_config("production").SQLALCHEMY_ENGINE_OPTIONS
    assert (options["pool_size"], options["max_overflow"]) == (20, 0)
    production_env.setenv("DATABASE_POOL_SIZE", "50")
    production_env.setenv("DATABASE_POOL_OVERFLOW", "5")
    options = load_config("production").SQLALCHEMY_ENGINE_OPTIONS
    assert (options["pool_size"], options["max_overflow"]) == (50, 5)


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError):
        load_config("staging")
