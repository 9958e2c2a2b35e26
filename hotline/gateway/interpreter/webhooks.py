"""Signed webhook requests from the simulated Twilio to the application, and TwiML parsing.

URLs are kept in their public form (what the application writes in its TwiML and what
Twilio signs); each request is sent to the application's own address by swapping the
public base URL for the app base URL, so the signature matches what the app rebuilds
from its PUBLIC_BASE_URL.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - parses TwiML from the application under test
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from twilio.request_validator import RequestValidator

from hotline.gateway.interpreter.model import TranscriptEvent

HTTP_RETRIEVAL_FAILURE = 11200
HTTP_CONNECTION_FAILURE = 11205
DOCUMENT_PARSE_FAILURE = 12100

COUNTRY_PREFIXES = (("+86", "CN"), ("+852", "HK"), ("+853", "MO"), ("+886", "TW"), ("+1", "US"), ("+44", "GB"))


def country_of(number: str) -> str:
    """Return the ISO country Twilio would report for a number ('' when unknown or not a number)."""
    for prefix, country in sorted(COUNTRY_PREFIXES, key=lambda pair: -len(pair[0])):
        if number.startswith(prefix):
            return country
    return ""


@dataclass
class WebhookExchange:
    """One request to the application and its answer (or why there was none)."""

    url: str
    method: str
    params: dict[str, str]
    status_code: int | None
    body: str
    error: str | None = None
    error_code: int | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the answer was usable."""
        return self.error is None

    def transcript_events(self, kind: str, at: float) -> list[TranscriptEvent]:
        """Return the events that record this exchange at `at`: the request, and an error if it failed."""
        events = [
            TranscriptEvent(
                kind,
                at,
                url=self.url,
                method=self.method,
                params=self.params,
                status_code=self.status_code,
                detail={"body": self.body[:4000]},
            )
        ]
        if not self.ok:
            events.append(
                TranscriptEvent(
                    "error",
                    at,
                    text=f"{kind} {self.url}: {self.error}",
                    url=self.url,
                    method=self.method,
                    params=self.params,
                    status_code=self.status_code,
                    detail={"error_code": self.error_code, "body": self.body[:4000]},
                )
            )
        return events


@dataclass
class TwimlAnswer:
    """A TwiML request's exchange and the parsed <Response> (None when it failed)."""

    exchange: WebhookExchange
    root: ET.Element | None


class TwimlError(ValueError):
    """The document is not TwiML."""


def parse_twiml(text: str) -> ET.Element:
    """Parse a TwiML document and return its <Response> element."""
    try:
        root = ET.fromstring(text.strip())  # noqa: S314 - trusted test input
    except ET.ParseError as error:
        raise TwimlError(f"not XML: {error}") from error
    if root.tag != "Response":
        raise TwimlError(f"root element is <{root.tag}>, not <Response>")
    return root


class WebhookSender:
    """Sign and send Twilio-style webhook requests to the application."""

    def __init__(
        self,
        app_base_url: str,
        public_base_url: str,
        auth_token: str,
        http: requests.Session,
        timeout: float = 15.0,
    ) -> None:
        self.app_base_url = app_base_url.rstrip("/")
        self.public_base_url = public_base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.http = http
        self.timeout = timeout

    def absolute(self, url: str, base: str | None = None) -> str:
        """Resolve a URL against a document URL, or against the public base URL."""
        if urlsplit(url).scheme:
            return url
        return urljoin(base or self.public_base_url + "/", url)

    def app_url(self, public_url: str) -> str:
        """Return the address the request really goes to for this public URL."""
        if public_url == self.public_base_url or public_url.startswith(self.public_base_url + "/"):
            return self.app_base_url + public_url[len(self.public_base_url) :]
        if public_url.startswith(self.public_base_url + "?"):
            return self.app_base_url + public_url[len(self.public_base_url) :]
        return public_url

    def signature(self, url: str, params: dict[str, str]) -> str:
        """Compute X-Twilio-Signature over the full public URL and the POST parameters."""
        return self.validator.compute_signature(url, params)

    def send(self, url: str, method: str, params: dict[str, str]) -> WebhookExchange:
        """Make one signed request as Twilio does; GET carries the parameters in the query string."""
        method = (method or "POST").upper()
        if method == "GET":
            separator = "&" if urlsplit(url).query else "?"
            signed_url = url + (separator + urlencode(params) if params else "")
            signature = self.signature(signed_url, {})
            body: dict[str, str] | None = None
        else:
            method = "POST"
            signed_url = url
            signature = self.signature(url, params)
            body = params
        headers = {
            "X-Twilio-Signature": signature,
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
            "Accept": "*/*",
        }
        try:
            response = self.http.request(
                method,
                self.app_url(signed_url),
                data=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as error:
            return WebhookExchange(url, method, params, None, "", f"timed out: {error}", HTTP_RETRIEVAL_FAILURE)
        except requests.RequestException as error:
            return WebhookExchange(
                url, method, params, None, "", f"connection failed: {error}", HTTP_CONNECTION_FAILURE
            )
        exchange = WebhookExchange(url, method, params, response.status_code, response.text)
        response.close()
        return exchange

    def fetch_twiml(self, url: str, method: str, params: dict[str, str]) -> TwimlAnswer:
        """Request a TwiML document; anything but 200 with a <Response> is an error."""
        exchange = self.send(url, method, params)
        if not exchange.ok:
            return TwimlAnswer(exchange, None)
        if exchange.status_code != 200:
            exchange.error = f"HTTP {exchange.status_code}"
            exchange.error_code = HTTP_RETRIEVAL_FAILURE
            return TwimlAnswer(exchange, None)
        try:
            root = parse_twiml(exchange.body)
        except TwimlError as error:
            exchange.error = str(error)
            exchange.error_code = DOCUMENT_PARSE_FAILURE
            return TwimlAnswer(exchange, None)
        return TwimlAnswer(exchange, root)

    def post_callback(self, url: str, method: str, params: dict[str, str]) -> WebhookExchange:
        """Send an asynchronous callback; any 2xx answer is accepted and its body ignored."""
        exchange = self.send(url, method, params)
        if exchange.ok and not (200 <= (exchange.status_code or 0) < 300):
            exchange.error = f"HTTP {exchange.status_code}"
            exchange.error_code = HTTP_RETRIEVAL_FAILURE
        return exchange
