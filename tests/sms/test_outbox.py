"""Each documented refusal falls to a retry or to the chain's next step; nothing is lost or sent twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.escalation import triggers
from hotline.escalation.models import Escalation, NotificationAttempt
from hotline.escalation.notifications import dispatch, queued_attempt_ids
from hotline.sms import services
from hotline.sms.models import SmsMessage
from hotline.telephony.providers import RecordingProvider
from tests.escalation.conftest import build_network, make_case


@pytest.fixture
def network(db_session: Any, make_user: Any) -> Any:
    """The escalation tests' district."""
    return build_network(db_session, make_user)


def escalate(session: Any, network: Any) -> Escalation:
    return triggers.escalate_case(
        session,
        make_case(session, network.community).id,
        reason="home_visit",
        urgency="normal",
        note=None,
        actor_id=None,
        now=utcnow(),
        provider=RecordingProvider(),
    )


def sms_attempt(session: Any) -> NotificationAttempt:
    return session.scalar(select(NotificationAttempt).where(NotificationAttempt.channel == "sms"))


def tick(session: Any, at: Any) -> None:
    dispatch(session, queued_attempt_ids(session, at), RecordingProvider(), at)


@pytest.mark.parametrize("name", ["alibaba", "tencent"])
def test_throttling_is_retried_within_the_deadline_and_sent_once(
    db_session: Any, network: Any, sms_config: Any, alibaba: Any, tencent: Any, name: str
) -> None:
    server = alibaba if name == "alibaba" else tencent
    sms_config(db_session, name, server)
    server.fail_next.append("throttle")
    escalate(db_session, network)
    attempt = sms_attempt(db_session)
    assert attempt.status == "queued" and attempt.retry_at is not None and server.accepted == []
    tick(db_session, utcnow())  # not due yet: nothing is asked
    assert len(server.refused) == 1 and server.accepted == []
    later = attempt.retry_at + timedelta(seconds=1)
    for _ in range(3):
        tick(db_session, later)
    assert len(server.accepted) == 1 and sms_attempt(db_session).status == "sent"
    assert db_session.scalar(select(SmsMessage.attempts)) == 2


@pytest.mark.parametrize("scenario", ["quota", "day_limit"])
@pytest.mark.parametrize("name", ["alibaba", "tencent"])
def test_quota_exceeded_fails_the_attempt_and_the_chain_goes_on(
    db_session: Any, network: Any, sms_config: Any, alibaba: Any, tencent: Any, name: str, scenario: str
) -> None:
    server = alibaba if name == "alibaba" else tencent
    sms_config(db_session, name, server)
    server.fail_next.append(scenario)
    network.room.duty_contact_phone = "+8613900000002"
    db_session.commit()
    chain = escalate(db_session, network)
    attempt = sms_attempt(db_session)
    assert attempt.status == "failed" and server.accepted == []
    kinds = [event.kind for event in db_session.get(Escalation, chain.id).events]
    assert "notify_failed" in kinds
    if all(a.channel == "sms" for a in db_session.scalars(select(NotificationAttempt))):
        assert "unreachable" in kinds, "nobody else to reach at this step: the chain goes on at the next tick"


@pytest.mark.parametrize("name", ["alibaba", "tencent"])
def test_a_server_error_is_uncertain_and_never_resent(
    db_session: Any, network: Any, sms_config: Any, alibaba: Any, tencent: Any, name: str
) -> None:
    server = alibaba if name == "alibaba" else tencent
    sms_config(db_session, name, server)
    server.fail_next.append("server_error")
    escalate(db_session, network)
    assert sms_attempt(db_session).status == "uncertain"
    for minutes in (1, 10, 60):
        tick(db_session, utcnow() + timedelta(minutes=minutes))
    assert len(server.refused) == 1 and server.accepted == []


def test_a_caller_message_left_sending_by_a_dead_process_is_never_resent(
    db_session: Any, sms_config: Any, alibaba: Any
) -> None:
    sms_config(db_session, "alibaba", alibaba)
    now = utcnow()
    services.record_consent(db_session, "+8613812345678", "intake", now)
    message = services.queue(db_session, "survey", "+8613812345678", {}, origin="survey:CA-dead", now=now)
    db_session.commit()
    assert services.claim(db_session, message.id, now)  # committed: then the process dies
    services.retry_due(db_session, now + timedelta(minutes=1))
    assert db_session.get(SmsMessage, message.id).status == "sending"
    services.retry_due(db_session, now + timedelta(minutes=3))
    services.retry_due(db_session, now + timedelta(minutes=4))
    assert db_session.get(SmsMessage, message.id, populate_existing=True).status == "uncertain"
    assert alibaba.accepted == [] and alibaba.refused == []


def test_a_throttled_caller_message_is_retried_by_the_outbox_job(
    app: Flask, db_session: Any, sms_config: Any, alibaba: Any
) -> None:
    sms_config(db_session, "alibaba", alibaba)
    now = utcnow()
    services.record_consent(db_session, "+8613812345678", "intake", now)
    alibaba.fail_next.append("throttle")
    message = services.send_to_caller(db_session, "survey", "+8613812345678", {}, "survey:CA-1", now)
    assert message is not None and message.status == "pending" and alibaba.accepted == []
    services.retry_due(db_session, message.due_at + timedelta(seconds=1))
    services.retry_due(db_session, message.due_at + timedelta(seconds=60))
    assert len(alibaba.accepted) == 1
    assert db_session.get(SmsMessage, message.id, populate_existing=True).status == "sent"
