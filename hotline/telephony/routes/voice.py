"""Twilio voice and SMS webhooks under /twilio/: the call's arrival, the menu, the queue, status callbacks, SMS.

Every route checks X-Twilio-Signature (`@twilio_webhook`), answers fast, and
never lets a caller hear an error: each has its own safe TwiML for when
anything fails (`@safe_twiml`), built without the database. Voicemail and
callbacks are in `voicemail.py`, connecting a worker in `connect.py`;
their views join this blueprint.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from hotline.clock import hotline_zone, utcnow
from hotline.db import CommitWatch, ProcessCopies
from hotline.extensions import db
from hotline.privacy import normalise_phone
from hotline.sms import services as sms_services
from hotline.sms.line import LINE_STATUS_PATH
from hotline.telephony import arrival, prompts, services, twiml
from hotline.telephony.events import announce, announce_arrival, sms_reply
from hotline.telephony.hours import CALENDAR_CHANGES, DayKind, ServiceCalendar, day_kind
from hotline.telephony.line_settings import SETTINGS_CHANGES, LineSettings, load_line_settings
from hotline.telephony.security import twilio_webhook
from hotline.telephony.timeline import TERMINAL, apply_status_callback
from hotline.telephony.urls import public_url
from hotline.telephony.webhook_support import int_param, log, no_content, param, safe_twiml, xml

bp = Blueprint("telephony", __name__)
SETTINGS_CACHE = "hotline_telephony_settings"
CALENDAR_CACHE = "hotline_telephony_calendar"


P_MENU = "/twilio/voice/menu"
P_ENQUEUE = "/twilio/voice/enqueue"
P_WAIT = "/twilio/voice/queue/wait"
P_RESULT = "/twilio/voice/queue/result"
P_OPTIONS = "/twilio/voice/options"
P_VOICEMAIL_DONE = "/twilio/voice/voicemail/done"
P_RECORDING = "/twilio/voice/recording"
P_SMS_CONSENT = "/twilio/voice/sms-consent"
P_STATUS = "/twilio/voice/status"


def process_copies(name: str, watch: CommitWatch) -> ProcessCopies:
    """Return this app's copies kept under `name` (made on first use)."""
    copies = current_app.extensions.get(name)
    if copies is None:
        copies = current_app.extensions.setdefault(name, ProcessCopies(watch))
    return copies


def line_settings() -> LineSettings:
    """Return the line's settings: this process's copy for a few seconds, then read again (see ProcessCopies).

    The copy carries its recorded prompts' signed URLs, signed once per copy (no query).
    """
    ttl = current_app.config.get("LINE_SETTINGS_CACHE_SECONDS", 0)
    settings = process_copies(SETTINGS_CACHE, SETTINGS_CHANGES).get(None, ttl, lambda: load_line_settings(db.session))
    config = current_app.config
    prompts.sign_recordings(settings, config["SECRET_KEY"], config["PUBLIC_BASE_URL"], utcnow())
    return settings


def cached_settings() -> LineSettings:
    """Return the last settings read (or the defaults) without touching the database, for the fallbacks."""
    cache = current_app.extensions.get(SETTINGS_CACHE)
    return (cache.last(None) if cache is not None else None) or LineSettings()


def calendar_day(day: date) -> DayKind:
    """Classify a day from this process's copy of the calendar, kept like the settings' (see ProcessCopies)."""
    ttl = current_app.config.get("LINE_SETTINGS_CACHE_SECONDS", 0)
    return process_copies(CALENDAR_CACHE, CALENDAR_CHANGES).get(day, ttl, lambda: day_kind(db.session, day))


# Safe answers, built without the database.


def enqueue_without_database() -> Response:
    """Apologise and hold the caller in the queue (the wait URL decides how long)."""
    response = VoiceResponse()
    twiml.speak(response, cached_settings(), "apology")
    response.enqueue(
        services.QUEUE_NAME, wait_url=public_url(P_WAIT), wait_url_method="POST", action=public_url(P_RESULT)
    )
    return xml(response)


def hold_or_leave_without_database() -> Response:
    """Hold the caller, or let them leave once they waited longer than the limit (Twilio's QueueTime)."""
    settings = cached_settings()
    waited = int_param("QueueTime") or 0
    over = waited >= settings.max_wait_seconds
    remaining = settings.max_wait_seconds - waited
    return xml(twiml.queue_wait(settings, ahead=None, minutes=None, leave=over, remaining=remaining))


def offer_without_database() -> Response:
    """Offer voicemail or a callback."""
    return xml(twiml.offer_voicemail_or_callback(cached_settings(), public_url(P_OPTIONS), lead="apology"))


def voicemail_without_database() -> Response:
    """Record a voicemail."""
    return xml(twiml.record_voicemail(cached_settings(), public_url(P_VOICEMAIL_DONE), public_url(P_RECORDING)))


def goodbye_without_database() -> Response:
    """Say goodbye."""
    return xml(twiml.goodbye(cached_settings()))


def apologise_and_hang_up() -> Response:
    """Apologise and hang up: for a leg that is not a caller's (a worker, an expert, a responder)."""
    response = VoiceResponse()
    twiml.speak(response, cached_settings(), "apology")
    response.hangup()
    return xml(response)


LAST_RESORT = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="cmn-CN">很抱歉，系统暂时出现问题。</Say>'
    "<Hangup/></Response>"
)
"""The answer when even a safe answer failed to build."""


def safe_answer_for(path: str) -> Response:
    """Return the safe TwiML for a path under /twilio/ whose view never answered (404, 405, 413, 500...).

    A caller's webhook (/twilio/voice/) holds the caller in the queue; SMS gets no
    reply; any other leg (a conference, a responder, the survey) hears an apology.
    """
    if path.startswith("/twilio/voice/"):
        return enqueue_without_database()
    if path.startswith("/twilio/sms/"):
        return xml(MessagingResponse())
    return apologise_and_hang_up()


def answer_errors_with_twiml(response: Response) -> Response:
    """Turn an error answer under /twilio/ into 200 with safe TwiML; a refused signature (403) stays refused.

    Installed after every request, so it covers what no view's `@safe_twiml` can:
    an unknown path, an id beyond the id range (the bounded converter's 404), a
    wrong method, a body too large, an error before the view ran.
    """
    if response.status_code < 400 or response.status_code == 403 or not request.path.startswith("/twilio/"):
        return response
    try:
        body = safe_answer_for(request.path).get_data()
    except Exception:  # noqa: BLE001  (Twilio must get TwiML, whatever failed)
        log.exception("safe TwiML for %s failed; answering the last resort", request.path)
        body = LAST_RESORT.encode("utf-8")
    response.status_code = 200
    response.set_data(body)
    response.mimetype = "text/xml"
    return response


# The call flow.


def menu_twiml(settings: LineSettings, *, welcome: bool, invalid: bool = False) -> Response:
    """Return the menu's TwiML as a response."""
    return Response(menu_text(settings, welcome=welcome, invalid=invalid), mimetype="text/xml")


def menu_text(settings: LineSettings, *, welcome: bool, invalid: bool = False) -> str:
    """Return the menu's TwiML, rendered once per copy of the settings (every caller hears the same)."""
    key = ("menu", welcome, invalid)
    text = settings.rendered.get(key)
    if text is None:
        text = settings.rendered[key] = str(twiml.menu(settings, public_url(P_MENU), welcome=welcome, invalid=invalid))
    return text


def enqueue_twiml(settings: LineSettings, call: Any) -> Response:
    """Put the call in the queue and return the Enqueue TwiML."""
    entered = services.enqueue_call(db.session, call, utcnow())
    if entered:
        announce(call, queued=True)
    if call.status in TERMINAL:
        return xml(twiml.goodbye(settings))
    return xml(
        twiml.enqueue(
            settings, services.QUEUE_NAME, public_url(P_WAIT), public_url(P_RESULT), crisis=call.service == "crisis"
        )
    )


def closed_twiml(settings: LineSettings, closed_reason: str | None) -> Response:
    """Tell the caller the line is closed and offer voicemail or a callback."""
    calendar = ServiceCalendar(settings, hotline_zone())
    closure = calendar.closure_at(utcnow()) if closed_reason == "closure" else None
    numbers = "、".join(f"{item.get('label', '')}{item.get('number', '')}" for item in settings.emergency_numbers)
    return xml(
        twiml.closed(
            settings,
            public_url(P_OPTIONS),
            reason=closed_reason or "hours",
            hours=calendar.hours_text(),
            numbers=numbers,
            closure_message=(closure or {}).get("message"),
        )
    )


@bp.post("/twilio/voice/incoming")
@twilio_webhook
@safe_twiml(enqueue_without_database)
def voice_incoming() -> Response:
    """Record the arriving call and answer with the menu, or the closed message outside service hours."""
    settings = line_settings()
    call_sid = param("CallSid")
    if not call_sid:
        return enqueue_without_database()
    arrived = arrival.receive_call(
        db.session,
        call_sid=call_sid,
        from_raw=param("From") or param("Caller"),
        to_raw=param("To") or param("Called"),
        now=utcnow(),
        settings=settings,
        zone=hotline_zone(),
        region=current_app.config.get("DEFAULT_REGION") or "CN",
        day_kinds=calendar_day,
    )
    if arrived.created:
        announce_arrival(arrived.call_id, arrived.values)
    if not arrived.line.open:
        return closed_twiml(settings, arrived.values["closed_reason"])
    return menu_twiml(settings, welcome=True)


@bp.post(P_MENU)
@twilio_webhook
@safe_twiml(enqueue_without_database)
def voice_menu() -> Response:
    """Route the menu key to a service queue; repeat the menu on silence or a wrong key."""
    settings = line_settings()
    call = services.get_call(db.session, param("CallSid"))
    choice = services.choose_from_menu(db.session, call, param("Digits"), settings, utcnow())
    if choice.action == "repeat":
        return menu_twiml(settings, welcome=False, invalid=True)
    return enqueue_twiml(settings, call)


@bp.post(P_ENQUEUE)
@twilio_webhook
@safe_twiml(enqueue_without_database)
def voice_enqueue() -> Response:
    """Put the caller (back) in the queue, keeping their place."""
    settings = line_settings()
    return enqueue_twiml(settings, services.get_call(db.session, param("CallSid")))


@bp.post(P_WAIT)
@twilio_webhook
@safe_twiml(hold_or_leave_without_database)
def queue_wait() -> Response:
    """Announce the caller's place and expected wait, then hold; past the limit, leave the queue."""
    settings = line_settings()
    call = services.find_call(db.session, param("CallSid"))
    if call is None:
        return hold_or_leave_without_database()
    now = utcnow()
    place = services.queue_place(db.session, call, now, settings, int_param("QueueTime"))
    if place.over_limit or call.status != "queued":
        services.reach_max_wait(db.session, call, now, place.waited)
        announce(call)
        return xml(twiml.queue_wait(settings, ahead=None, minutes=None, leave=True))
    remaining = settings.max_wait_seconds - place.waited
    return xml(twiml.queue_wait(settings, ahead=place.ahead, minutes=place.minutes, leave=False, remaining=remaining))


@bp.post(P_RESULT)
@twilio_webhook
@safe_twiml(offer_without_database)
def queue_result() -> Response:
    """Handle every QueueResult: bridged, hangup (abandoned), leave (offer), redirected, errors."""
    settings = line_settings()
    call = services.find_call(db.session, param("CallSid"))
    if call is None:
        return offer_without_database()
    was_ended = call.ended_at is not None
    action = services.queue_result(db.session, call, param("QueueResult"), utcnow(), int_param("QueueTime"))
    if call.ended_at is not None and not was_ended:
        announce(call, ended=True)
    if action == "goodbye":
        return xml(twiml.goodbye(settings))
    if action == "offer":
        lead = "max_wait" if any(e.kind == "max-wait" for e in call.events) else "apology"
        return xml(twiml.offer_voicemail_or_callback(settings, public_url(P_OPTIONS), lead=lead))
    return xml(twiml.empty())


@bp.post(P_STATUS)
@twilio_webhook
@safe_twiml(no_content)
def voice_status() -> Response:
    """Store a status callback (the call's or a dialled leg's) as an event; end the call when it ends."""
    params = {key: value for key, value in request.form.items()}
    if request.args.get("worker"):
        params["worker"] = request.args["worker"]
    call = services.find_call(db.session, params.get("CallSid")) or services.find_call(
        db.session, params.get("ParentCallSid")
    )
    if call is None:
        return no_content()
    stored, ended = apply_status_callback(db.session, call, params, utcnow())
    db.session.commit()
    if stored:
        announce(call, ended=ended)
    return no_content()


@bp.post("/twilio/voice/fallback")
@twilio_webhook
@safe_twiml(enqueue_without_database)
def voice_fallback() -> Response:
    """Twilio's fallback URL: apologise and hold the caller in the queue, without needing the database."""
    return enqueue_without_database()


@bp.post("/twilio/voice/apology")
@twilio_webhook
@safe_twiml(apologise_and_hang_up)
def voice_apology() -> Response:
    """The line's apology (its recording, else its text), which the SIP gateway copies to play when the app is down."""
    response = VoiceResponse()
    twiml.speak(response, line_settings(), "apology")
    response.hangup()
    return xml(response)


@bp.post("/twilio/sms/incoming")
@twilio_webhook
@safe_twiml(lambda: xml(MessagingResponse()))
def sms_incoming() -> Response:
    """Pass an inbound SMS to whoever listens (reply codes); answer with the first reply, else nothing."""
    reply = sms_reply(
        param("MessageSid"),
        normalise_phone(param("From"), current_app.config.get("DEFAULT_REGION") or "CN"),
        request.form.get("Body", "")[:1600],
    )
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return xml(response)


@bp.post(LINE_STATUS_PATH.format(id="<int:message_id>"))
@twilio_webhook
def sms_status(message_id: int) -> Response:
    """Record the delivery of a free-text SMS to staff sent through the line (its receipt, like a template's)."""
    error = param("ErrorCode") or param("ErrorMessage") or None
    try:
        sms_services.record_line_status(
            db.session, message_id, param("MessageSid"), param("MessageStatus"), error, utcnow()
        )
    except Exception:  # noqa: BLE001  (a status callback is answered 204 whatever happened)
        db.session.rollback()
        log.exception("SMS status callback failed for message %s", message_id)
    return no_content()
