"""The one place routing and the console call other packages' services.

Each function calls the owning package's service by its agreed name when that
package provides it, and otherwise falls back to a minimal local version, so the
console works while the phone line, rota and cases packages are being built.
Switching is a matter of deleting a fallback.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.clock import local
from hotline.telephony.models import Call, CallEvent


def _service(module: str, name: str) -> Any | None:
    """Return `module.name` if the owning package provides it, else None."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


# --- rota -------------------------------------------------------------------------------------


def on_duty_worker_ids(session: Session, at: datetime) -> set[int]:
    """Return the ids of duty workers on duty at `at` by the published rota and certified that day."""
    provided = _service("hotline.rota.services", "on_duty_worker_ids")
    if provided is not None:
        return set(provided(session, at))
    return {
        user.id for user in _assigned_users(session, at, "duty_worker") if user.valid_certification(local(at).date())
    }


def on_duty_supervisor_ids(session: Session, at: datetime) -> set[int]:
    """Return the ids of supervisors on call at `at` by the published rota."""
    provided = _service("hotline.rota.services", "on_duty")
    if provided is not None:
        return {_user_id(item) for item in provided(session, at, role="supervisor")} - {None}
    return {user.id for user in _assigned_users(session, at, "supervisor")}


def on_duty_experts(session: Session, at: datetime) -> list[Any]:
    """Return the expert volunteers on expert duty at `at` (ExpertVolunteer rows)."""
    from hotline.directory.models import ExpertVolunteer
    from hotline.rota.models import Shift, ShiftAssignment

    rows = session.scalars(
        select(ExpertVolunteer)
        .join(ShiftAssignment, ShiftAssignment.expert_id == ExpertVolunteer.id)
        .join(Shift, ShiftAssignment.shift_id == Shift.id)
        .where(
            Shift.status == "published",
            Shift.starts_at <= at,
            Shift.ends_at > at,
            ShiftAssignment.duty == "expert",
            ExpertVolunteer.active.is_(True),
        )
        .order_by(ExpertVolunteer.name)
    )
    return list(dict.fromkeys(rows))


def _user_id(item: Any) -> int | None:
    """Return the user id of whatever the rota's on_duty returns (a user, an assignment, an id)."""
    if isinstance(item, int):
        return item
    return getattr(item, "user_id", None) or getattr(item, "id", None)


def _assigned_users(session: Session, at: datetime, duty: str) -> list[User]:
    """Return the users with a `duty` assignment in a published shift covering `at`."""
    from hotline.rota.models import Shift, ShiftAssignment

    return list(
        session.scalars(
            select(User)
            .join(ShiftAssignment, ShiftAssignment.user_id == User.id)
            .join(Shift, ShiftAssignment.shift_id == Shift.id)
            .where(
                Shift.status == "published",
                Shift.starts_at <= at,
                Shift.ends_at > at,
                ShiftAssignment.duty == duty,
                User.active.is_(True),
            )
        ).unique()
    )


# --- phone line -------------------------------------------------------------------------------


def queued_calls(session: Session) -> list[Call]:
    """Return the calls waiting in the queue, most urgent first, then the longest waiting."""
    provided = _service("hotline.telephony.services", "queued_calls")
    if provided is not None:
        return list(provided(session))
    return list(
        session.scalars(
            select(Call)
            .where(Call.status == "queued", Call.ended_at.is_(None))
            .order_by(Call.priority.desc(), Call.queued_at, Call.id)
        )
    )


def get_provider() -> Any:
    """Return the telephony provider (Twilio or the simulator)."""
    from hotline.telephony.providers import get_provider as provider

    return provider()


def connect_to_worker(session: Session, call: Call, target: str, provider: Any) -> None:
    """Take the caller out of the queue to `target` (worker_<id> for the softphone, or an E.164 number)."""
    provided = _service("hotline.telephony.services", "connect_to_worker")
    if provided is not None:
        provided(session, call, target, provider)
        return
    base = current_app.config["PUBLIC_BASE_URL"]
    provider.redirect_call(call.call_sid, f"{base}/twilio/voice/connect/{call.id}?to={target}")


def is_simulator() -> bool:
    """Return whether the phone line is simulated (no Twilio account)."""
    return current_app.config.get("TELEPHONY") == "simulator"


def add_call_event(session: Session, call: Call, kind: str, now: datetime, **data: Any) -> CallEvent:
    """Append a step to the call's timeline (the caller commits)."""
    event = CallEvent(call_id=call.id, kind=kind, at=now, data=data)
    session.add(event)
    return event


def send_simulator_chat(session: Session, call: Call, sender: str, body: str, now: datetime) -> None:
    """Send a line of the simulator's text channel (worker side) to the simulated caller."""
    provided = _service("hotline.telephony.simulator", "send_chat")
    if provided is not None:
        provided(session, call, sender, body, now)
        return
    add_call_event(session, call, "simulator.chat", now, sender=sender, body=body)
    session.commit()


def simulator_chat(session: Session, call: Call) -> list[dict[str, Any]]:
    """Return the simulator's text channel of a call, oldest first: [{sender, body, at}]."""
    provided = _service("hotline.telephony.simulator", "chat_lines")
    if provided is not None:
        return list(provided(session, call))
    events = session.scalars(
        select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind == "simulator.chat").order_by(CallEvent.id)
    )
    return [{"sender": e.data.get("sender"), "body": e.data.get("body"), "at": e.at} for e in events]


# --- cases ------------------------------------------------------------------------------------


def cases_service(name: str) -> Any:
    """Return a function of hotline.cases.services (IntakeData, validate_intake, save_intake…)."""
    provided = _service("hotline.cases.services", name)
    if provided is None:
        raise RuntimeError(f"hotline.cases.services.{name} is not available yet")
    return provided
