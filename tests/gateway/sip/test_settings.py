"""The SIP line's GATEWAY_* settings: typed, checked at start with the variable named."""

from __future__ import annotations

import ipaddress

import pytest

from config import ConfigError, load_config
from hotline.gateway.sip.settings import SipSettings


def test_the_defaults_listen_on_loopback_and_take_calls_from_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GATEWAY_SIP_LISTEN", "GATEWAY_RTP_PORTS", "GATEWAY_TRUNK_PEERS", "GATEWAY_TRUNK_REGISTRAR"):
        monkeypatch.delenv(name, raising=False)
    settings = SipSettings.from_config(vars(load_config("testing")))
    assert (settings.host, settings.port) == ("127.0.0.1", 5080)
    assert settings.rtp_ports == (40000, 40999)
    assert settings.trunk.peers == (ipaddress.ip_network("127.0.0.1/32"),)
    assert not settings.trunk.registers()


def test_a_registering_trunk_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_SIP_LISTEN", "0.0.0.0:5060")
    monkeypatch.setenv("GATEWAY_SIP_PUBLIC_ADDRESS", "203.0.113.10")
    monkeypatch.setenv("GATEWAY_RTP_PORTS", "30000-30999")
    monkeypatch.setenv("GATEWAY_TRUNK_REGISTRAR", "sip:ims.tj.ctcims.cn:5060")
    monkeypatch.setenv("GATEWAY_TRUNK_USERNAME", "+862222292209")
    monkeypatch.setenv("GATEWAY_TRUNK_PASSWORD", "secret")
    monkeypatch.setenv("GATEWAY_TRUNK_PEERS", "198.51.100.0/24")
    monkeypatch.setenv("GATEWAY_TRUNK_AREA_CODE", "022")
    settings = SipSettings.from_config(vars(load_config("testing")))
    assert (settings.host, settings.port, settings.public_address) == ("0.0.0.0", 5060, "203.0.113.10")
    assert settings.rtp_ports == (30000, 30999) and settings.rtp_port_count == 1000
    assert settings.trunk.registers() and settings.trunk.username == "+862222292209"
    assert settings.trunk.area_code == "022"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GATEWAY_SIP_LISTEN", "5080"),
        ("GATEWAY_SIP_LISTEN", "127.0.0.1:99999"),
        ("GATEWAY_RTP_PORTS", "40000"),
        ("GATEWAY_RTP_PORTS", "40999-40000"),
        ("GATEWAY_RTP_PORTS", "80-90"),
        ("GATEWAY_TRUNK_PEERS", "10.0.0.0/8,nonsense"),
        ("GATEWAY_TRUNK_REGISTRAR", "http://carrier.example"),
        ("GATEWAY_TRUNK_AREA_CODE", "tianjin"),
        ("GATEWAY_MAX_CALLS", "0"),
    ],
)
def test_wrong_values_are_refused_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_config("testing")
    assert refused.value.variable == variable


def test_a_registrar_without_credentials_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_TRUNK_REGISTRAR", "sip:carrier.example")
    monkeypatch.delenv("GATEWAY_TRUNK_USERNAME", raising=False)
    with pytest.raises(ConfigError, match="GATEWAY_TRUNK_USERNAME"):
        load_config("testing")


def test_telephony_gateway_points_the_twilio_client_at_the_gateways_rest_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEPHONY", "gateway")
    monkeypatch.setenv("GATEWAY_REST_LISTEN", "127.0.0.1:9876")
    monkeypatch.delenv("TWILIO_API_BASE_URL", raising=False)
    assert load_config("testing").TWILIO_API_BASE_URL == "http://127.0.0.1:9876"


def test_workers_phones_and_numbers_are_rung_at_configured_uris(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CLIENT_URI", "sip:{identity}@registrar.example")
    monkeypatch.setenv("GATEWAY_TRUNK_NUMBER_URI", "sip:{number}@carrier.example;user=phone")
    settings = SipSettings.from_config(vars(load_config("testing")))
    assert settings.client_uri.format(identity="worker_7") == "sip:worker_7@registrar.example"
    assert settings.number_uri.format(number="+8613800138000") == "sip:+8613800138000@carrier.example;user=phone"
    monkeypatch.setenv("GATEWAY_CLIENT_URI", "sip:fixed@registrar.example")
    with pytest.raises(ConfigError, match="GATEWAY_CLIENT_URI"):
        load_config("testing")
