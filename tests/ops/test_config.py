"""The operations settings: Socket.IO async mode, metrics access, heartbeat threshold, the gunicorn worker's hooks."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

import pytest

from config import ConfigError, load_config

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SOCKETIO_ASYNC_MODE", "eventlet"),
        ("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,not-a-network"),
        ("SCHEDULER_HEARTBEAT_MAX_AGE", "soon"),
    ],
)
def test_wrong_ops_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_config("testing")
    assert error.value.variable == variable


def test_operations_settings_have_safe_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SOCKETIO_ASYNC_MODE", "METRICS_TOKEN", "METRICS_ALLOWED_NETWORKS", "SCHEDULER_HEARTBEAT_MAX_AGE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_config("testing")
    assert settings.SOCKETIO_ASYNC_MODE == "threading"
    assert settings.METRICS_TOKEN is None
    assert settings.METRICS_ALLOWED_NETWORKS == "127.0.0.1/32,::1/128"
    assert settings.SCHEDULER_HEARTBEAT_MAX_AGE == 60


def test_gevent_mode_and_token_only_metrics_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCKETIO_ASYNC_MODE", "gevent")
    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "none")
    settings = load_config("testing")
    assert (settings.SOCKETIO_ASYNC_MODE, settings.METRICS_ALLOWED_NETWORKS) == ("gevent", "none")


def test_a_gunicorn_worker_freezes_the_loaded_application_out_of_full_collections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOTLINE_WORKER_CLASS", "gthread")
    monkeypatch.setenv("SOCKETIO_ASYNC_MODE", "threading")  # the file sets it: put back afterwards
    hooks = runpy.run_path(str(GUNICORN_CONF))
    gc.unfreeze()
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > 100_000  # the application and its libraries, loaded by the suite
    finally:
        gc.unfreeze()


def test_the_public_base_url_follows_the_port_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "5055")
    monkeypatch.setenv("HOST", "0.0.0.0")
    settings = load_config("development")
    assert settings.PUBLIC_BASE_URL == "http://127.0.0.1:5055" and not settings.PUBLIC_BASE_URL_SET
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://hotline.example.org")
    chosen = load_config("development")
    assert chosen.PUBLIC_BASE_URL == "https://hotline.example.org" and chosen.PUBLIC_BASE_URL_SET
