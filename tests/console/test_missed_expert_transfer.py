"""Cold transfer to an expert who does not answer: the caller goes back to the front of the queue, and the
worker who handed the call on ends in wrap-up (then available), never stuck on a call they left."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hotline.clock import utcnow
from hotline.console import transfers
from hotline.routing import services as routing
from hotline.routing.models import RoutingEntry, WorkerPresence
from hotline.routing.presence import finish_wrap_ups
from hotline.telephony.services import queued_calls
from tests.routing.conftest import queue_call


def expert_on_duty(db_session: Any) -> Any:
    """An expert volunteer on a published expert duty now, with a phone."""
    from hotline.directory.models import ExpertVolunteer
    from hotline.rota.models import Shift, ShiftAssignment

    expert = ExpertVolunteer(name="张律师", profession="律师", phone="+8613700000001", skills=["legal"])
    db_session.add(expert)
    db_session.flush()
    now = utcnow()
    shift = Shift(
        label="expert", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3), status="published"
    )
    shift.assignments.append(ShiftAssignment(duty="expert", expert_id=expert.id, skill="legal"))
    db_session.add(shift)
    db_session.commit()
    return expert


def test_after_a_missed_expert_transfer_the_worker_wraps_up_and_the_caller_waits_first(
    db_session: Any, accepted_call: Any, recording_provider: Any
) -> None:
    worker, call = accepted_call
    expert = expert_on_duty(db_session)
    presence = db_session.get(WorkerPresence, worker.id)
    assert (presence.state, presence.current_call_id) == ("busy", call.id)
    later = queue_call(db_session, queued_at=utcnow())  # a caller who rang after this one

    now = utcnow()
    transfer = transfers.cold_transfer_to_expert(db_session, call, worker.id, expert.id, now, recording_provider)
    assert not transfers.expert_dial_ended(db_session, transfer.id, call, "no-answer", now + timedelta(seconds=25))

    db_session.expire_all()
    presence = db_session.get(WorkerPresence, worker.id)
    assert presence.state == "wrap_up" and presence.offered_call_id is None  # wrapping the call up, not on it
    assert call.status == "in-progress" and "transfer.expert_missed" in [event.kind for event in call.events]
    # The caller is queued again ahead of the later caller, and the next free worker is offered them first.
    routing.call_queued(db_session, call.id, now + timedelta(seconds=26))
    entry = db_session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call.id))
    assert entry.status in ("waiting", "offered") and entry.worker_id != worker.id
    call.status = "queued"  # as the enqueue webhook the caller is redirected to does, keeping queued_at
    db_session.commit()
    waiting = [queued.id for queued in queued_calls(db_session)]
    assert waiting.index(call.id) < waiting.index(later.id)
    # Wrap-up ends: the worker is available again, not held by the call they handed on.
    db_session.expire_all()
    assert db_session.get(WorkerPresence, worker.id).state == "wrap_up"  # not put on a break for a missed call
    assert worker.id in finish_wrap_ups(db_session, now + timedelta(minutes=10))
    db_session.commit()
    db_session.expire_all()
    presence = db_session.get(WorkerPresence, worker.id)
    assert (presence.state, presence.current_call_id) == ("available", None)
