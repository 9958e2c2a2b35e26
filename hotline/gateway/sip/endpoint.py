"""Configure a pjsua2 Endpoint for a G.711 telephone line: no sound card, one UDP transport."""

from __future__ import annotations

import pjsua2 as pj

from hotline.gateway.sip.settings import SipSettings

# G.711 A-law first (Chinese carriers), then mu-law; every other codec off.
CODEC_PRIORITIES = {"PCMA/8000": 200, "PCMU/8000": 100}
CLOCK_RATE = 8000
# pjsua2-python 2.15.1.post1 is built with pjsua's default PJSUA_MAX_CALLS: 4 calls per process,
# a bridged conversation taking two. More calls take more gateway processes behind Kamailio.
PJSUA_CALL_LIMIT = 4


def init_endpoint(endpoint: pj.Endpoint, settings: SipSettings) -> int:
    """Initialise the library, open the SIP transport and start; return the transport id.

    Raises:
        pj.Error: the library refused a setting or the listen address is taken.
    """
    config = pj.EpConfig()
    config.uaConfig.threadCnt = 0
    config.uaConfig.mainThreadOnly = True
    config.uaConfig.maxCalls = min(settings.max_calls, PJSUA_CALL_LIMIT)
    config.uaConfig.userAgent = settings.user_agent
    config.logConfig.level = settings.log_level
    config.logConfig.consoleLevel = settings.log_level
    config.medConfig.clockRate = CLOCK_RATE
    config.medConfig.sndClockRate = CLOCK_RATE
    config.medConfig.channelCount = 1
    config.medConfig.noVad = True
    config.medConfig.ecTailLen = 0
    config.medConfig.maxMediaPorts = max(254, settings.max_calls * 4)
    endpoint.libInit(config)

    transport = pj.TransportConfig()
    transport.boundAddress = settings.host
    transport.port = settings.port
    if settings.public_address:
        transport.publicAddress = settings.public_address
    transport_id = endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
    endpoint.libStart()
    endpoint.audDevManager().setNullDev()
    set_codec_priorities(endpoint)
    return transport_id


def set_codec_priorities(endpoint: pj.Endpoint) -> None:
    """Offer and accept PCMA then PCMU only."""
    for codec in endpoint.codecEnum2():
        name = "/".join(codec.codecId.split("/")[:2])  # "PCMA/8000/1" -> "PCMA/8000"
        endpoint.codecSetPriority(codec.codecId, CODEC_PRIORITIES.get(name, 0))


def apply_media_config(media: pj.AccountMediaConfig, settings: SipSettings) -> None:
    """Set the RTP port range and public address for the account's calls."""
    media.transportConfig.port = settings.rtp_ports[0]
    media.transportConfig.portRange = settings.rtp_port_count
    media.transportConfig.boundAddress = settings.host
    if settings.public_address:
        media.transportConfig.publicAddress = settings.public_address
