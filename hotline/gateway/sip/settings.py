"""The SIP line's settings, read from the application's `GATEWAY_*` configuration."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclasses.dataclass(frozen=True)
class Trunk:
    """Where calls come from: a carrier's registrar, peer addresses, or both."""

    registrar: str | None = None  # sip:host[:port]; registration with digest authentication when set
    username: str | None = None
    password: str | None = None
    realm: str = "*"
    register_seconds: int = 300
    retry_first_seconds: float = 5.0  # a failed registration is tried again after this, then twice as long...
    retry_max_seconds: float = 300.0  # ...up to this
    peers: tuple[Network, ...] = ()  # source addresses allowed to send INVITEs
    area_code: str | None = None  # the trunk's area code ("22" for Tianjin), for local numbers
    region: str = "CN"

    def registers(self) -> bool:
        """True when the gateway registers to a carrier rather than only taking peers' calls."""
        return bool(self.registrar)


@dataclasses.dataclass(frozen=True)
class SipSettings:
    """Everything the SIP endpoint needs to listen, take calls and send media."""

    host: str = "127.0.0.1"
    port: int = 5080
    public_address: str | None = None  # the address written in Contact and SDP behind NAT
    rtp_ports: tuple[int, int] = (40000, 40999)
    trunk: Trunk = dataclasses.field(default_factory=Trunk)
    max_calls: int = 4  # PJSIP's own limit in the pinned wheel (endpoint.PJSUA_CALL_LIMIT)
    invites_per_window: int = 30  # INVITEs one address may send per window before 503
    invite_window_seconds: float = 10.0
    client_uri: str = "sip:{identity}@127.0.0.1:5060"  # a worker's registered phone (<Dial><Client>)
    number_uri: str = "sip:{number}@127.0.0.1:5060"  # a number out through the trunk (<Dial><Number>)
    apology_wav: str | None = None  # the line's recorded apology, played when the application fails
    fallback: str | None = None  # a number or SIP URI the caller is put through to when the application fails
    user_agent: str = "Hotline gateway"
    log_level: int = 1

    @property
    def rtp_port_count(self) -> int:
        """How many RTP ports the range holds (RTCP takes the odd one beside each)."""
        return self.rtp_ports[1] - self.rtp_ports[0] + 1

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SipSettings:
        """Build the settings from an application config (values already checked by config.py)."""
        host, port = config.get("GATEWAY_SIP_LISTEN", ("127.0.0.1", 5080))
        peers = tuple(ipaddress.ip_network(p, strict=False) for p in config.get("GATEWAY_TRUNK_PEERS", ()))
        trunk = Trunk(
            registrar=config.get("GATEWAY_TRUNK_REGISTRAR"),
            username=config.get("GATEWAY_TRUNK_USERNAME"),
            password=config.get("GATEWAY_TRUNK_PASSWORD"),
            realm=config.get("GATEWAY_TRUNK_REALM") or "*",
            register_seconds=config.get("GATEWAY_TRUNK_REGISTER_SECONDS", 300),
            peers=peers,
            area_code=config.get("GATEWAY_TRUNK_AREA_CODE"),
            region=config.get("DEFAULT_REGION", "CN"),
        )
        return cls(
            host=host,
            port=port,
            public_address=config.get("GATEWAY_SIP_PUBLIC_ADDRESS"),
            rtp_ports=config.get("GATEWAY_RTP_PORTS", (40000, 40999)),
            trunk=trunk,
            max_calls=config.get("GATEWAY_MAX_CALLS", 4),
            invites_per_window=config.get("GATEWAY_INVITES_PER_WINDOW", 30),
            client_uri=config.get("GATEWAY_CLIENT_URI") or cls.client_uri,
            apology_wav=config.get("GATEWAY_APOLOGY_WAV"),
            fallback=config.get("GATEWAY_FALLBACK"),
            number_uri=config.get("GATEWAY_TRUNK_NUMBER_URI") or _number_uri(trunk),
        )


def _number_uri(trunk: Trunk) -> str:
    """Numbers go to the registrar's host when the trunk registers, else to the local proxy."""
    if trunk.registrar:
        host = trunk.registrar.split(":", 1)[1].split(";", 1)[0]
        return f"sip:{{number}}@{host}"
    return SipSettings.number_uri
