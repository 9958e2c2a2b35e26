"""A manager's test SMS and test call from the directory page (blueprint "telephony_test_calls"), and the
test call's two webhooks.

They live here, not in the directory, because they need the phone line. The test
SMS goes by the `test` template when a template provider is set, else through the
line. For the call, the line fetches the test message's TwiML and reports the
call's progress to the status callback, both signed like every /twilio/ webhook.
The TwiML never fails: anything wrong still says the message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from twilio.twiml.voice_response import VoiceResponse

from hotline import push
from hotline.access import require_role
from hotline.clock import utcnow
from hotline.directory import services as directory
from hotline.directory import test_calls as records
from hotline.directory.exceptions import NoPhone
from hotline.directory.models import ExpertVolunteer, Organisation, Station, Volunteer
from hotline.directory.routes import test_text
from hotline.extensions import db
from hotline.telephony.providers import get_provider
from hotline.telephony.routes.voice import cached_settings
from hotline.telephony.security import twilio_webhook
from hotline.telephony.test_calls import P_TEST_CALL, P_TEST_CALL_STATUS, place_test_call
from hotline.telephony.webhook_support import log, no_content, param, safe_twiml, xml
from hotline.vocabulary import Role

bp = Blueprint("telephony_test_calls", __name__)
MODELS = {
    "stations": Station,
    "experts": ExpertVolunteer,
    "organisations": Organisation,
    "volunteers": Volunteer,
}


@bp.post("/directory/<any(stations, experts, organisations, volunteers):kind>/<int:entry_id>/test-call")
@require_role(Role.MANAGER)
def test_call(kind: str, entry_id: int) -> Any:
    """Have the line call the entry's number and play the test message; the page shows what became of it."""
    entry = directory.get_entry(db.session, MODELS[kind], entry_id)
    if entry is None:
        abort(404)
    try:
        test_call_id = place_test_call(db.session, get_provider(), entry, utcnow(), current_user.id)
    except NoPhone:
        flash(_("This entry has no number to call."), "error")
    else:
        record = records.get(db.session, test_call_id)
        if record is not None and record.status in ("failed", "uncertain"):
            flash(_("The line did not place the test call: %(detail)s", detail=record.error or record.status), "error")
        else:
            flash(_("The line is calling: what became of the call shows below."), "success")
    return redirect(url_for(f"directory.{kind}_edit", entry_id=entry_id))


@bp.post("/directory/<any(stations, experts, organisations, volunteers):kind>/<int:entry_id>/test-sms")
@require_role(Role.MANAGER)
def test_sms(kind: str, entry_id: int) -> Any:
    """Text the entry's number a test SMS; the page shows its delivery when the receipt comes back."""
    entry = directory.get_entry(db.session, MODELS[kind], entry_id)
    if entry is None:
        abort(404)
    try:
        result = directory.send_test_sms(db.session, get_provider(), entry, test_text(), utcnow(), current_user.id)
    except NoPhone:
        flash(_("This entry has no number to text."), "error")
    else:
        if result.delivered:
            flash(_("The test SMS was sent: its delivery shows below when the provider reports it."), "success")
        else:
            flash(_("The test SMS was not sent: %(detail)s", detail=result.detail), "error")
    return redirect(url_for(f"directory.{kind}_edit", entry_id=entry_id))


def test_message() -> str:
    """Return the spoken test message in the hotline's language."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _(
            "This is a test call from the social-work hotline. This number will receive the hotline's "
            "referral calls. Nothing to do. Goodbye."
        )


def message_twiml() -> Response:
    """Say the test message twice, then hang up."""
    settings = cached_settings()
    response = VoiceResponse()
    for repeat in range(2):
        response.say(test_message(), language=settings.language, voice=settings.voice)
        if repeat == 0:
            response.pause(length=1)
    response.hangup()
    return xml(response)


@bp.post(P_TEST_CALL.format(id="<int:test_call_id>"))
@twilio_webhook
@safe_twiml(message_twiml)
def message(test_call_id: int) -> Response:
    """Play the test message to whoever answered (it names no case and no caller)."""
    return message_twiml()


@bp.post(P_TEST_CALL_STATUS.format(id="<int:test_call_id>"))
@twilio_webhook
def status(test_call_id: int) -> Response:
    """Record the test call's progress: ringing, answered, no answer, busy or failed (out of order is fine)."""
    error = param("ErrorMessage") or param("ErrorCode") or None
    try:
        record = records.record_status(db.session, test_call_id, param("CallSid"), param("CallStatus"), error, utcnow())
        if record is not None:
            push.directory_test_changed(record.target)
    except Exception:  # noqa: BLE001  (a status callback is answered 204 whatever happened)
        db.session.rollback()
        log.exception("test call status callback failed for %s", test_call_id)
    return no_content()
