"""The fast lane for the incoming-call webhook on PostgreSQL: a new call on an open line answered outside Flask.

The incoming-call webhook is the one every caller reaches first, and the one a
surge of calls multiplies. Its usual answer is always the same: check the
signature, store the call (`calls` and its `created` event), tell the consoles,
answer the menu. This WSGI middleware, in front of the whole application, gives
exactly that answer for exactly that case, without Flask's request machinery,
with the arrivals of concurrent webhooks written together and announced together
(`arrival_writer.ArrivalWriter`, `events.announce_arrivals`: one `call.updated`,
or one `calls.updated` for several). Everything else it hands, untouched, to the
application behind it, which answers as it always did:

- any other path, a query string, a body that is not a small form, a parameter
  given twice;
- no CallSid (the apology TwiML), or a signature that does not match at once
  (the application tries Twilio's URL variants and refuses with 403);
- line settings never read by the application yet, or older than a change
  saved in this process (stale ones are read again here, see `settings`);
- the line closed (the closed message and its events);
- a CallSid stored already (a retried webhook gets the stored call's answer);
- any failure here at all, the database's included: the application's own
  safety net (the apology TwiML) is behind it.

It records the same Prometheus figures and request log line as the application.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from flask import Flask

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.ops.metrics import FAST_LANE_ANSWERS, WEBHOOK_LATENCY, WEBHOOK_RESPONSES
from hotline.privacy import FieldCipher
from hotline.telephony.arrival import arrival_of
from hotline.telephony.arrival_writer import ArrivalNotWritten, ArrivalWriter
from hotline.telephony.events import announce_arrivals
from hotline.telephony.hours import ServiceCalendar
from hotline.telephony.line_settings import LineSettings, SettingsCache
from hotline.telephony.security import signature_is_valid

PATH = "/twilio/voice/incoming"
ENDPOINT = "telephony.voice_incoming"
MAX_BODY = 16 * 1024
REFRESH_GRACE = 1.0
MENU_KEY = ("menu", True, False)
"""Where routes.menu_text keeps the welcome menu's TwiML in a copy of the settings."""

LATENCY = WEBHOOK_LATENCY.labels(route=PATH)
ANSWERED = WEBHOOK_RESPONSES.labels(route=PATH, status="200")
log = logging.getLogger("hotline.telephony.fast_lane")
access = logging.getLogger("hotline.requests")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ArrivalFastLane:
    """WSGI middleware: answer a new call on an open line at once, hand every other request on."""

    def __init__(self, next_app: WsgiApp, app: Flask, writer: ArrivalWriter) -> None:
        self.next_app = next_app
        self.app = app
        self.writer = writer
        # Read once, so that a webhook needs no app context: the writer enters one for each batch.
        self.zone = ZoneInfo(app.config["HOTLINE_TZ"])
        self.region = app.config.get("DEFAULT_REGION") or "CN"
        self.url = app.config["PUBLIC_BASE_URL"].rstrip("/") + PATH
        self.token = app.config.get("TWILIO_AUTH_TOKEN")
        self.cipher: FieldCipher = app.extensions["hotline_cipher"]
        self.refresh_started = float("-inf")
        """When a webhook last began to read the stale settings again (time.monotonic)."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer the webhook here when it is a new call on an open line, else pass it on."""
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING"):
            return self.next_app(environ, start_response)
        started = time.perf_counter()
        body = read_form(environ)
        if body is None:
            return self.next_app(environ, start_response)
        try:
            answer = self.answer(body, environ.get("HTTP_X_TWILIO_SIGNATURE", ""))
        except ArrivalNotWritten as exc:
            log.warning("arrival not written by the batch (%s); the application answers", exc)
            answer = None
        except Exception:  # noqa: BLE001  (the application behind has its own safety net)
            log.exception("fast lane failed; the application answers")
            answer = None
        if answer is None:
            return self.next_app(environ, start_response)
        FAST_LANE_ANSWERS.inc()
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(answer)))])
        elapsed = time.perf_counter() - started
        LATENCY.observe(elapsed)
        ANSWERED.inc()
        if access.isEnabledFor(logging.INFO):
            extra = {"method": "POST", "path": PATH, "endpoint": ENDPOINT, "status": 200}
            access.info("request", extra={**extra, "duration_ms": round(elapsed * 1000, 1), "user_id": None})
        return [answer]

    def answer(self, body: bytes, signature: str) -> bytes | None:
        """Return the menu TwiML once a new call is stored; None to let the application answer."""
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        params = dict(pairs)
        call_sid = params.get("CallSid", "").strip()
        if len(params) != len(pairs) or not call_sid:
            return None
        if not signature_is_valid(self.token, self.url, params, signature):
            return None
        settings = self.settings()
        if settings is None:
            return None
        menu = settings.rendered.get(MENU_KEY) or self.render_menu(settings)
        now = utcnow()
        line = ServiceCalendar(settings, self.zone).status(now)
        if not line.open:
            return None
        from_raw, to_raw = first(params, "From", "Caller"), first(params, "To", "Called")
        row, events = arrival_of(call_sid, from_raw, to_raw, now, line, self.region, self.lookup_hash)
        if self.writer.write(row, events) is None:
            return None  # its CallSid is stored already: a retry, answered from the record by the application
        return menu.encode("utf-8")  # the call is announced with its batch by the webhook that wrote it

    def render_menu(self, settings: LineSettings) -> str:
        """Render the welcome menu of a copy of the settings just read, as the application would (and keep it there).

        A copy just read has no menu yet. Webhooks used to go to the application until
        one had rendered it: a few dozen took the slow path at once, and the process
        stalled for 150 ms every time the settings were read again.
        """
        from hotline.telephony.routes import menu_text

        with self.app.app_context():
            return menu_text(settings, welcome=True)

    def lookup_hash(self, e164: str | None) -> str | None:
        """Return the number's keyed look-up hash (as privacy.phone_lookup_hash, without an app context)."""
        return self.cipher.lookup_hash(e164) if e164 else None

    def settings(self) -> LineSettings | None:
        """Return the application's copy of the line settings, read again here when it turns stale; None if unknown.

        When the copy turns stale, the webhook that finds it so reads the settings
        again (its answer waits for that read); the webhooks arriving while it does
        use the old copy, for at most REFRESH_GRACE seconds. They used to go to the
        application, and a burst after a quiet spell took the slow path all at once.
        A copy this process never read, or one older than a change saved in this
        process, is never used: the application reads the settings itself then.
        """
        from hotline.telephony.routes import SETTINGS_CACHE

        cache = self.app.extensions.get(SETTINGS_CACHE)
        if cache is None:
            return None
        ttl = self.app.config.get("LINE_SETTINGS_CACHE_SECONDS", 0)
        settings = cache.fresh(ttl)
        if settings is not None or ttl <= 0:
            return settings
        if cache.settings is None or cache.loaded_generation != SettingsCache.generation:
            return None
        now = time.monotonic()
        if now - self.refresh_started < REFRESH_GRACE:
            return cache.settings  # another webhook is reading them: the old copy a moment more
        self.refresh_started = now
        with self.app.app_context():
            try:
                return cache.get(db.session, ttl)  # a failure here sends this webhook to the application
            finally:
                db.session.remove()


def first(params: dict[str, str], *names: str) -> str:
    """Return the first of these parameters that is not blank, stripped (as the application's routes read them)."""
    for name in names:
        value = params.get(name, "").strip()
        if value:
            return value
    return ""


def read_form(environ: dict[str, Any]) -> bytes | None:
    """Read a small url-encoded body and put it back for the application; None (nothing read) otherwise."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def announce_written(written: list[tuple[int, dict[str, Any]]]) -> None:
    """Announce a batch of new calls from the rows written (with their ids)."""
    announce_arrivals([(call_id, {"id": call_id, **row}) for call_id, row in written])


def install(app: Flask) -> None:
    """Put the fast lane in front of the application when TELEPHONY_FAST_LANE is on and the database is PostgreSQL."""
    if not app.config.get("TELEPHONY_FAST_LANE"):
        return
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    writer = ArrivalWriter(engine, on_written=announce_written, context=app.app_context)
    lane = ArrivalFastLane(app.wsgi_app, app, writer)
    app.extensions["hotline_fast_lane"] = lane
    app.wsgi_app = lane  # type: ignore[method-assign]
