"""Point the Twilio helper library at another REST host (a local Twilio-compatible server).

twilio-python 9.x builds absolute ``https://api.twilio.com/...`` URLs and hands them to its
``HttpClient``; this client rewrites any ``*.twilio.com`` host to the configured base URL, so
``TWILIO_API_BASE_URL=http://127.0.0.1:8765`` sends every REST call to the local server.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client


class RedirectingHttpClient(TwilioHttpClient):
    """A TwilioHttpClient that sends requests for twilio.com hosts to `base_url` instead."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def rewrite(self, url: str) -> str:
        """Return the URL with a twilio.com scheme and host replaced by the base URL."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host != "twilio.com" and not host.endswith(".twilio.com"):
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, parts.fragment))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the request to the rewritten URL."""
        return super().request(method, self.rewrite(url), *args, **kwargs)


def build_client(
    account_sid: str,
    auth_token: str | None = None,
    *,
    api_base_url: str | None = None,
    api_key_sid: str | None = None,
    api_key_secret: str | None = None,
    timeout: float = 10.0,
) -> Client:
    """Build a twilio Client (auth token or API key), sending REST calls to `api_base_url` when given.

    Args:
        account_sid: the account the requests act on.
        auth_token: the account's auth token (unless an API key is given).
        api_base_url: a Twilio-compatible server to use instead of api.twilio.com.
        api_key_sid: an API key SID (SK...), used with `api_key_secret` instead of the auth token.
        api_key_secret: the API key's secret.
        timeout: seconds before a REST request gives up.

    Returns:
        A configured ``twilio.rest.Client``.
    """
    http_client = (
        RedirectingHttpClient(api_base_url, timeout=timeout) if api_base_url else TwilioHttpClient(timeout=timeout)
    )
    if api_key_sid:
        return Client(api_key_sid, api_key_secret, account_sid, http_client=http_client)
    return Client(account_sid, auth_token, http_client=http_client)
