"""Joining a live call from the wallboard: listen silently, coach (heard by the worker only) or barge in.

Every line does it the same way through the provider interface. A call talking on a
plain <Dial> is first moved into the call's conference (the caller redirected, the
worker rung back into it, as a warm transfer does); then the supervisor's phone or
softphone is rung into the same conference, muted to listen, as coach of the worker's
leg to coach, or as a full participant to barge in. Each join is on the call's
timeline and in the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline import audit
from hotline.accounts.models import User
from hotline.console.line import add_leg, address_of, conference_name, move_to_conference
from hotline.routing import adapters
from hotline.telephony.models import Call
from hotline.telephony.providers import TelephonyProvider
from hotline.telephony.urls import public_url

MODES = ("listen", "coach", "barge")


class CannotMonitor(Exception):
    """The call is not live with a worker, or the mode is unknown."""


class Joined(NamedTuple):
    """The supervisor's leg: its CallSid, and whether it rings their browser or their own phone."""

    call_sid: str
    rings: str
    """`browser` (the softphone identity) or `phone`."""


def join_call(
    session: Session, call_id: int, supervisor: User, mode: str, now: datetime, provider: TelephonyProvider
) -> Joined:
    """Ring the supervisor into a live call to listen, coach or barge in; return the supervisor's leg.

    Raises:
        CannotMonitor: no such live call with a worker, or an unknown mode.
        TelephonyError: the phone network refused (nothing is recorded).
    """
    call = session.get(Call, call_id)
    if mode not in MODES:
        raise CannotMonitor("mode")
    if call is None or call.answered_at is None or call.ended_at is not None or call.worker_id is None:
        raise CannotMonitor("not_live")
    worker_leg = move_to_conference(session, call, call.worker_id, now, provider)
    address = address_of(session, supervisor.id)
    supervisor_leg = provider.place_call(
        address,
        public_url(f"/twilio/wallboard/monitor/{call.id}", mode=mode, coach=worker_leg if mode == "coach" else None),
    )
    add_leg(session, call, supervisor_leg, "supervisor", now, user_id=supervisor.id, muted=mode == "listen")
    adapters.add_call_event(session, call, f"monitor.{mode}", now, supervisor_id=supervisor.id)
    audit.record(session, "call.monitor", actor_id=supervisor.id, target=f"call:{call.id}", detail={"mode": mode})
    session.commit()
    return Joined(supervisor_leg, "browser" if address.startswith("client:") else "phone")


def supervisor_twiml(call: Call | None, mode: str, coach: str | None) -> VoiceResponse:
    """Put the supervisor's leg into the call's conference: muted (listen), coaching the worker, or talking."""
    response = VoiceResponse()
    if call is None or call.ended_at is not None or mode not in MODES:
        response.hangup()
        return response
    dial = Dial()
    options: dict[str, object] = {"muted": mode == "listen"}
    if mode == "coach" and coach:
        options["coach"] = coach
    dial.conference(
        conference_name(call), start_conference_on_enter=False, end_conference_on_exit=False, beep=False, **options
    )
    response.append(dial)
    return response
