"""Cold transfers to an expert, against the database as the phone network sees it: the network fetches the
expert's <Dial> in a request of its own as soon as it is asked to redirect the caller, so the transfer must
be committed by then; a network that refuses leaves the caller with the worker and the transfer failed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.console import transfers
from hotline.extensions import db
from hotline.routing.models import CallTransfer
from hotline.telephony.models import Call, CallEvent
from hotline.telephony.providers import RecordingProvider, TelephonyError
from tests.conftest import truncate_all
from tests.support.line import EXPERT_PHONE, NOON, worker_and_expert_on_duty


class FetchingNetwork(RecordingProvider):
    """A network that, like Twilio, reads the new TwiML's transfer from the app's database at once."""

    def __init__(self) -> None:
        super().__init__()
        self.numbers_dialled: list[str | None] = []

    def redirect_call(self, call_sid: str, url: str) -> None:
        """Record the redirect and look the transfer up in another connection, as the webhook would."""
        super().redirect_call(call_sid, url)
        transfer_id = int(url.rsplit("transfer=", 1)[1])
        with Session(db.engine) as webhook:
            call = webhook.scalar(select(Call).where(Call.call_sid == call_sid))
            self.numbers_dialled.append(transfers.expert_phone(webhook, transfer_id, call) if call else None)


class RefusingNetwork(RecordingProvider):
    """A network that refuses every redirect for good."""

    def redirect_call(self, call_sid: str, url: str) -> None:
        """Refuse."""
        raise TelephonyError("Twilio 400: call is not in progress")


@pytest.fixture
def answered_call(app: Flask) -> Iterator[tuple[int, int, int]]:
    """A call the worker answered, with an expert on expert duty, committed: (call id, worker id, expert id)."""
    worker_id, expert_id = worker_and_expert_on_duty(app)
    with app.app_context():
        call = Call(
            call_sid="CA" + "7" * 32,
            from_number="+8613812345678",
            status="in-progress",
            worker_id=worker_id,
            queued_at=NOON - timedelta(minutes=2),
            answered_at=NOON - timedelta(minutes=1),
            created_at=NOON - timedelta(minutes=2),
        )
        db.session.add(call)
        db.session.commit()
        call_id = call.id
        db.session.remove()
    try:
        yield call_id, worker_id, expert_id
    finally:
        truncate_all(app)


def test_the_network_finds_the_transfer_when_it_fetches_the_experts_dial(
    app: Flask, answered_call: tuple[int, int, int]
) -> None:
    call_id, worker_id, expert_id = answered_call
    network = FetchingNetwork()
    with app.test_request_context():
        call = db.session.get(Call, call_id)
        transfer = transfers.cold_transfer_to_expert(db.session, call, worker_id, expert_id, NOON, network)
        assert transfer.status == "started"
        db.session.remove()
    assert len(network.redirects) == 1
    assert network.numbers_dialled == [EXPERT_PHONE]


def test_a_network_that_refuses_leaves_the_caller_with_the_worker_and_the_transfer_failed(
    app: Flask, answered_call: tuple[int, int, int]
) -> None:
    call_id, worker_id, expert_id = answered_call
    with app.test_request_context():
        call = db.session.get(Call, call_id)
        with pytest.raises(TelephonyError):
            transfers.cold_transfer_to_expert(db.session, call, worker_id, expert_id, NOON, RefusingNetwork())
        db.session.remove()
        statuses = db.session.scalars(select(CallTransfer.status).where(CallTransfer.call_id == call_id)).all()
        kinds = db.session.scalars(select(CallEvent.kind).where(CallEvent.call_id == call_id)).all()
        still_with = db.session.get(Call, call_id).worker_id
        db.session.remove()
    assert statuses == ["failed"]
    assert kinds == ["transfer.cold_expert", "transfer.network_refused"]
    assert still_with == worker_id
