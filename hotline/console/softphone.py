"""The browser softphone: access tokens for the Twilio Voice JavaScript SDK."""

from __future__ import annotations

from typing import Any

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from hotline.console.exceptions import SoftphoneUnavailable

TOKEN_TTL = 3600
"""An hour; the browser renews on the SDK's tokenWillExpire event."""


def identity(user_id: int) -> str:
    """Return the softphone identity of a worker (letters, digits and underscore only)."""
    return f"worker_{user_id}"


def access_token(config: dict[str, Any], user_id: int) -> str:
    """Issue an access token with a voice grant that lets the worker's browser receive calls.

    Raises:
        SoftphoneUnavailable: the Twilio account or API key is not configured.
    """
    account, key, secret = (
        config.get(name) for name in ("TWILIO_ACCOUNT_SID", "TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET")
    )
    if not (account and key and secret):
        raise SoftphoneUnavailable("TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET are not set")
    token = AccessToken(account, key, secret, identity=identity(user_id), ttl=TOKEN_TTL)
    grant = VoiceGrant(incoming_allow=True, outgoing_application_sid=config.get("TWILIO_TWIML_APP_SID") or None)
    token.add_grant(grant)
    return token.to_jwt()
