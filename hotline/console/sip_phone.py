"""A worker's SIP phone: registration credentials the application issues, checked by Kamailio.

The scheme is Kamailio's `auth_ephemeral` (draft-uberti-rtcweb-turn-rest): the username is
`<expiry as a UNIX timestamp>:worker_<id>` and the password base64(HMAC-SHA1(secret, username)).
Kamailio holds the same secret (`GATEWAY_PHONE_SECRET`), so nothing is stored and nothing is typed:
the phone fetches its credentials from the console and Kamailio refuses them once they expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from hotline.console.exceptions import SipPhoneUnavailable
from hotline.console.softphone import identity


def password_for(secret: str, username: str) -> str:
    """Return the password auth_ephemeral expects for `username`."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def credentials(config: dict[str, Any], user_id: int, now: datetime) -> dict[str, Any]:
    """Issue the worker's SIP registration credentials, valid for GATEWAY_PHONE_HOURS from `now`.

    Args:
        config: the application's configuration (GATEWAY_PHONE_REGISTRAR, _SECRET, _HOURS).
        user_id: the worker.
        now: the time of issue (aware UTC).

    Returns:
        The identity the gateway dials (`<Dial><Client>`), the address of record to register,
        the registrar, username, password, ttl in seconds and the expiry.

    Raises:
        SipPhoneUnavailable: the registrar or the shared secret is not configured.
    """
    registrar, secret = config.get("GATEWAY_PHONE_REGISTRAR"), config.get("GATEWAY_PHONE_SECRET")
    if not (registrar and secret):
        raise SipPhoneUnavailable("GATEWAY_PHONE_REGISTRAR and GATEWAY_PHONE_SECRET are not set")
    ttl = int(config.get("GATEWAY_PHONE_HOURS", 24)) * 3600
    expires_at = now.replace(microsecond=0) + timedelta(seconds=ttl)
    worker = identity(user_id)
    username = f"{int(expires_at.timestamp())}:{worker}"
    host = registrar.split(":", 1)[1].split(";", 1)[0]
    return {
        "identity": worker,
        "aor": f"sip:{worker}@{host}",
        "registrar": registrar,
        "username": username,
        "password": password_for(secret, username),
        "ttl": ttl,
        "expires_at": expires_at.isoformat(),
    }


def browser_credentials(config: dict[str, Any], user_id: int, now: datetime) -> dict[str, Any]:
    """Issue the console's browser softphone its credentials and where it connects (SIP over WebSocket).

    Returns:
        `credentials()` with `mode: "sip"` and `ws_url` (GATEWAY_PHONE_WS_URL, Kamailio's WebSocket).

    Raises:
        SipPhoneUnavailable: the WebSocket address, the registrar or the shared secret is not configured.
    """
    ws_url = config.get("GATEWAY_PHONE_WS_URL")
    if not ws_url:
        raise SipPhoneUnavailable("GATEWAY_PHONE_WS_URL is not set")
    return {"mode": "sip", "ws_url": ws_url, **credentials(config, user_id, now)}
