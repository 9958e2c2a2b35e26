"""The gateway's SIP account: where INVITEs arrive, and the trunk registration when there is one."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pjsua2 as pj

from hotline.gateway.sip.endpoint import apply_media_config
from hotline.gateway.sip.settings import SipSettings

log = logging.getLogger(__name__)


class LineAccount(pj.Account):
    """Hands each incoming call and each registration change to the line (on the PJSIP thread)."""

    def __init__(
        self,
        on_incoming: Callable[[pj.OnIncomingCallParam], None],
        on_registration: Callable[[int, str], None],
    ) -> None:
        super().__init__()
        self._on_incoming = on_incoming
        self._on_registration = on_registration

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:  # noqa: N802 - pjsua2's name
        """Pass the INVITE to the line, which admits or refuses it."""
        try:
            self._on_incoming(prm)
        except Exception:
            log.exception("incoming call handler failed")

    def onRegState(self, prm: pj.OnRegStateParam) -> None:  # noqa: N802
        """Report a registration result (200 registered, anything else lost)."""
        self._on_registration(prm.code, prm.reason)


def account_config(settings: SipSettings, transport_id: int) -> pj.AccountConfig:
    """The account: the trunk's identity and registration, or a local identity for peer calls."""
    config = pj.AccountConfig()
    trunk = settings.trunk
    host = settings.public_address or settings.host
    config.sipConfig.transportId = transport_id
    apply_media_config(config.mediaConfig, settings)
    config.callConfig.timerUse = pj.PJSUA_SIP_TIMER_OPTIONAL
    config.callConfig.timerSessExpiresSec = 1800
    config.callConfig.timerMinSESec = 90
    config.natConfig.sdpNatRewriteUse = 1 if settings.public_address else 0
    config.natConfig.viaRewriteUse = 1
    config.natConfig.contactRewriteUse = 1 if trunk.registers() else 0
    if trunk.registers():
        registrar_host = trunk.registrar.split(":", 1)[1].split(";", 1)[0]
        config.idUri = f"sip:{trunk.username}@{registrar_host.split(':', 1)[0]}"
        config.regConfig.registrarUri = trunk.registrar
        config.regConfig.timeoutSec = trunk.register_seconds
        config.regConfig.retryIntervalSec = 0  # the line retries itself, backing off (SipLine._on_registration)
        config.regConfig.dropCallsOnFail = False
        credentials = pj.AuthCredInfo("digest", trunk.realm, trunk.username or "", 0, trunk.password or "")
        config.sipConfig.authCreds.append(credentials)
    else:
        config.idUri = f"sip:gateway@{host}:{settings.port}"
    return config
