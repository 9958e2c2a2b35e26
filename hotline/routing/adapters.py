"""What routing and the console need from the rota and the phone line, in the shape they use.

Routing sits above telephony and the rota (docs/architecture.md, "Layers"), so
these are plain imports of those packages' services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from hotline.telephony.models import Call, CallEvent

# --- rota -------------------------------------------------------------------------------------


def on_duty_worker_ids(session: Session, at: datetime) -> set[int]:
    """Return the ids of duty workers on duty at `at` by the published rota and certified that day."""
    from hotline.rota.services import on_duty_worker_ids as provided

    return set(provided(session, at))


def on_duty_supervisor_ids(session: Session, at: datetime) -> set[int]:
    """Return the ids of supervisors on call at `at` by the published rota."""
    from hotline.rota.services import on_duty

    return {worker.user_id for worker in on_duty(session, at, role="supervisor").workers}


def on_duty_experts(session: Session, at: datetime) -> list[Any]:
    """Return the expert volunteers on expert duty at `at` (expert_id, name, profession, skills, phone)."""
    from hotline.rota.services import on_duty

    return list(on_duty(session, at, role="expert").experts)


# --- phone line -------------------------------------------------------------------------------


def queued_calls(session: Session) -> list[Call]:
    """Return the calls waiting in the queue, most urgent first, then the longest waiting."""
    from hotline.telephony.services import queued_calls as provided

    return list(provided(session))


def get_provider() -> Any:
    """Return the telephony provider (Twilio's REST API, at Twilio or at the simulator's gateway)."""
    from hotline.telephony.providers import get_provider as provider

    return provider()


def connect_to_worker(session: Session, call: Call, target: str, provider: Any) -> None:
    """Take the caller out of the queue to `target` (worker_<id> for the softphone, or an E.164 number)."""
    from hotline.telephony.connecting import connect_to_worker as provided

    provided(session, call, target, provider)


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
    from hotline.telephony.simulator.services import say

    say(session, call.call_sid, sender, body, now)


def simulator_chat(session: Session, call: Call) -> list[dict[str, Any]]:
    """Return the simulator's text channel of a call, oldest first: [{sender, text}]."""
    from hotline.telephony.simulator.services import conversation

    return list(conversation(session, call.call_sid))
