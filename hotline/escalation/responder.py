"""What responders reach without an account: the page behind the signed link, and the Twilio
webhooks of notification calls and messages (keypress answers, delivery status).

Twilio is never answered with a 500: any error gets safe TwiML or an empty response.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from twilio.twiml.voice_response import VoiceResponse

from hotline.access import public
from hotline.clock import utcnow
from hotline.escalation import board, notifications, replies, services
from hotline.escalation.exceptions import AlreadyAnswered, NotOwned, ReferralEnded, ReferralExpired, ReferralNotFound
from hotline.escalation.forms import AnswerForm, OutcomeForm
from hotline.escalation.policies import setting
from hotline.escalation.providers import public_url
from hotline.escalation.routes import bp
from hotline.extensions import db
from hotline.telephony.security import twilio_webhook

log = logging.getLogger("hotline.escalation")
LINK_REASON = "the signed link is the credential"


def twiml(response: VoiceResponse) -> Response:
    """Return TwiML."""
    return Response(str(response), mimetype="text/xml")


def say(response: VoiceResponse, text: str) -> None:
    """Speak text in the configured language and voice."""
    voice = setting(db.session, "escalation.voice")
    response.say(text, language=voice.get("language") or "cmn-CN", voice=voice.get("voice") or None)


def safe_twiml() -> Response:
    """Return TwiML that apologises and hangs up (never a 500 to Twilio)."""
    db.session.rollback()
    response = VoiceResponse()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        response.say(_("Sorry, something went wrong. Please contact the hotline."), language="cmn-CN")
    response.hangup()
    return twiml(response)


@bp.post("/twilio/escalation/voice/<int:attempt_id>")
@twilio_webhook
def voice(attempt_id: int) -> Any:
    """Read the request to the responder and gather 1 (accept) or 2 (decline)."""
    try:
        attempt_body = board.attempt_body(db.session, attempt_id)
        response = VoiceResponse()
        gather = response.gather(
            num_digits=1,
            timeout=8,
            action=public_url(f"/twilio/escalation/voice/{attempt_id}/answer"),
            action_on_empty_result=True,
        )
        voice_settings = setting(db.session, "escalation.voice")
        for _time in range(2):
            gather.say(attempt_body, language=voice_settings.get("language"), voice=voice_settings.get("voice"))
        return twiml(response)
    except Exception:  # noqa: BLE001  (Twilio must get TwiML, whatever failed)
        log.exception("escalation voice TwiML failed for attempt %s", attempt_id)
        return safe_twiml()


@bp.post("/twilio/escalation/voice/<int:attempt_id>/answer")
@twilio_webhook
def voice_answer(attempt_id: int) -> Any:
    """Apply the keypress and say what happened."""
    try:
        text = replies.handle_keypress(db.session, attempt_id, request.form.get("Digits", ""), utcnow())
        response = VoiceResponse()
        if request.form.get("Digits", "") in ("1", "2") or request.args.get("again"):
            say(response, text)
            response.hangup()
        else:
            say(response, text)
            response.redirect(public_url(f"/twilio/escalation/voice/{attempt_id}") + "?again=1")
        return twiml(response)
    except Exception:  # noqa: BLE001  (Twilio must get TwiML, whatever failed)
        log.exception("escalation keypress failed for attempt %s", attempt_id)
        return safe_twiml()


@bp.post("/twilio/escalation/status/<int:attempt_id>")
@twilio_webhook
def delivery_status(attempt_id: int) -> Any:
    """Record a notification's delivery status (calls and messages; out of order is fine)."""
    status = request.form.get("MessageStatus") or request.form.get("CallStatus") or ""
    sequence = request.form.get("SequenceNumber", type=int)
    error = request.form.get("ErrorCode") or request.form.get("ErrorMessage")
    try:
        notifications.record_delivery(db.session, attempt_id, status, sequence, error, utcnow())
    except Exception:  # noqa: BLE001  (a status callback is answered 204 whatever happened)
        db.session.rollback()
        log.exception("escalation status callback failed for attempt %s", attempt_id)
    return Response(status=204)


def referral_from_token(token: str) -> tuple[int | None, Any]:
    """Return (referral id, None) for a good link, else (None, the error page response)."""
    try:
        return notifications.read_link_token(db.session, token), None
    except ReferralEnded:
        return None, (render_template("escalation/link_invalid.html", ended=True), 410)
    except ReferralExpired:
        return None, (render_template("escalation/link_invalid.html", expired=True), 410)
    except ReferralNotFound:
        return None, (render_template("escalation/link_invalid.html", expired=False), 404)


def closed_page(message: str, status: int = 200) -> Any:
    """Render the end of a referral for its responder: the message, none of the case's details."""
    return render_template("escalation/link_invalid.html", ended=True, message=message), status


def render_responder(referral_id: int, token: str, **extra: Any) -> Any:
    """Render the responder page (the view of the caller's details is audited); a referral that ended shows none."""
    status = extra.pop("status", 200)
    if board.referral_has_ended(db.session, referral_id):
        return closed_page(extra.get("message") or _("This request is no longer open for you."), status)
    view = board.responder_view(db.session, referral_id, audit_view=request.method == "GET")
    return render_template(
        "escalation/responder.html",
        view=view,
        token=token,
        answer_form=extra.pop("answer_form", None) or AnswerForm(),
        outcome_form=extra.pop("outcome_form", None) or OutcomeForm(),
        **extra,
    ), status


@bp.get("/r/<token>")
@public(LINK_REASON)
def responder(token: str) -> Any:
    """Show a responder what is asked: masked or consented details, area, summary; accept or decline."""
    referral_id, error = referral_from_token(token)
    return error if referral_id is None else render_responder(referral_id, token)


@bp.post("/r/<token>/<any(accept, decline):answer>")
@public(LINK_REASON)
def responder_answer(token: str, answer: str) -> Any:
    """Accept or decline from the responder page."""
    referral_id, error = referral_from_token(token)
    if referral_id is None:
        return error
    form = AnswerForm()
    if not form.validate_on_submit():
        return render_responder(referral_id, token, answer_form=form, status=422)
    try:
        services.respond(db.session, referral_id, answer, now=utcnow(), via="link", note=form.note.data or None)
    except (AlreadyAnswered, ReferralExpired) as problem:
        return closed_page(replies.refusal_text(problem), 409)
    return render_responder(referral_id, token, message=_("Thank you: your answer has been recorded."))


@bp.post("/r/<token>/done")
@public(LINK_REASON)
def responder_done(token: str) -> Any:
    """Record the outcome of an accepted referral; it returns to the case."""
    referral_id, error = referral_from_token(token)
    if referral_id is None:
        return error
    form = OutcomeForm()
    if not form.validate_on_submit():
        return render_responder(referral_id, token, outcome_form=form, status=422)
    try:
        services.complete(
            db.session, referral_id, outcome=form.outcome.data, note=form.note.data, now=utcnow(), via="link"
        )
    except (AlreadyAnswered, NotOwned):
        return closed_page(_("Only an accepted referral can be closed, once."), 409)
    return closed_page(_("Thank you: the outcome has been sent to the hotline."))


def link_for(referral_id: int) -> str:
    """Return the responder page path of a referral (for staff pages)."""
    return url_for("escalation.responder", token=notifications.link_token(referral_id))
