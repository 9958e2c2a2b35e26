"""Click to dial: the line rings the worker first, then bridges them to the caller from the hotline's number.

Every line does it the same way through the provider interface: `place_call` to the
worker's softphone (client:worker_<id>) or their own phone, whose TwiML (`bridge_twiml`)
<Dial>s the caller with the hotline's number as caller ID; the <Dial>'s action tells
how the leg to the caller ended, which suggests the attempt's outcome.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline import push
from hotline.accounts.models import User
from hotline.callbacks.exceptions import NoNumber, TaskNotFound
from hotline.callbacks.models import AttemptOutcome, CallbackAttempt, log_event
from hotline.callbacks.services import pending_attempt, take
from hotline.routing.presence import presence_of
from hotline.routing.services import connect_target
from hotline.telephony.line_settings import LineSettings
from hotline.telephony.outbox import dispatch, queue_command
from hotline.telephony.providers import TelephonyProvider
from hotline.telephony.urls import public_url

SUGGESTED = {
    "completed": AttemptOutcome.REACHED.value,
    "answered": AttemptOutcome.REACHED.value,
    "no-answer": AttemptOutcome.NO_ANSWER.value,
    "busy": AttemptOutcome.BUSY.value,
    "failed": AttemptOutcome.WRONG_NUMBER.value,
}
"""The outcome a <Dial>'s DialCallStatus suggests; the worker confirms or corrects it."""
DIAL_TIMEOUT_SECONDS = 30


def worker_address(session: Session, user: User, now: datetime) -> str:
    """Return where the line rings the worker: their softphone (client:worker_<id>) or their own phone."""
    target = connect_target(presence_of(session, user.id, now))
    return target if target.startswith("+") else f"client:{target}"


def start_dial(
    session: Session, task_id: int, user: User, now: datetime, provider: TelephonyProvider | None = None
) -> CallbackAttempt:
    """Take the task if nobody has, record an attempt and ring the worker, who is then bridged to the caller.

    The call goes through the outbox (sent after the commit, retried by the scheduler).
    An attempt still without an outcome is closed as no answer by a new dial.

    Raises:
        TaskNotFound, TaskClosed, TaskTaken (another owner), NoNumber.
    """
    task = take(session, task_id, user, now)
    if not task.phone:
        raise NoNumber(str(task_id))
    previous = pending_attempt(task)
    if previous is not None:
        previous.outcome, previous.ended_at = previous.outcome or AttemptOutcome.NO_ANSWER.value, now
    attempt = CallbackAttempt(task_id=task.id, worker_id=user.id, started_at=now)
    session.add(attempt)
    task.attempts_made += 1
    task.next_attempt_at = None
    session.flush()
    log_event(session, task, "dialled", now, actor_id=user.id, attempt=task.attempts_made)
    command_id = queue_command(
        session,
        "place_call",
        now,
        to=worker_address(session, user, now),
        url=public_url(f"/twilio/callbacks/attempts/{attempt.id}/bridge"),
    )
    session.commit()
    dispatch(current_app._get_current_object(), [command_id], provider)  # type: ignore[attr-defined]
    push.callbacks_changed("dialled")
    return attempt


def bridge_twiml(
    settings: LineSettings, phone: str, caller_id: str | None, action_url: str, prompt: str
) -> VoiceResponse:
    """Tell the worker the caller is being rung (`prompt`), then <Dial> the caller from the hotline's number."""
    response = VoiceResponse()
    response.say(prompt, language=settings.language, voice=settings.voice)
    dial = Dial(action=action_url, method="POST", timeout=DIAL_TIMEOUT_SECONDS, caller_id=caller_id)
    dial.number(phone)
    response.append(dial)
    return response


def attempt_for_bridge(session: Session, attempt_id: int, call_sid: str) -> CallbackAttempt:
    """Return the attempt whose worker answered, remembering the call's id; commit.

    Raises:
        TaskNotFound: no such attempt.
    """
    attempt = session.get(CallbackAttempt, attempt_id)
    if attempt is None:
        raise TaskNotFound(str(attempt_id))
    if call_sid and attempt.call_sid is None:
        attempt.call_sid = call_sid
        session.commit()
    return attempt


def dial_ended(session: Session, attempt_id: int, dial_status: str, now: datetime) -> CallbackAttempt | None:
    """Record how the leg to the caller ended and tell the worker's console the suggested outcome; commit."""
    attempt = session.get(CallbackAttempt, attempt_id)
    if attempt is None:
        return None
    attempt.dial_status = (dial_status or "").strip().lower()[:40] or None
    attempt.ended_at = now
    log_event(session, attempt.task, "dial-ended", now, status=attempt.dial_status)
    session.commit()
    push.callback_dialled(attempt.worker_id, attempt.task_id, attempt.dial_status or "")
    return attempt


def suggested_outcome(attempt: CallbackAttempt | None) -> str | None:
    """Return the outcome the network's answer suggests for an attempt, if it has one."""
    if attempt is None or not attempt.dial_status:
        return None
    return SUGGESTED.get(attempt.dial_status)
