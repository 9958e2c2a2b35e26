"""Triggers: missed, abandoned, voicemail and callback-request calls; high-risk intakes; SMS replies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import func, select

from hotline import signals
from hotline.escalation import steps, triggers
from hotline.escalation.models import Escalation, Referral, ResponderReplyCode, SmsReply
from tests.escalation.conftest import NOW, make_case
from tests.support.factories import make_call


def chains(session: Any) -> list[Escalation]:
    return list(session.scalars(select(Escalation).order_by(Escalation.id)))


def test_each_callback_reason_creates_a_callback_referral_to_the_duty_team(
    app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        for reason in ("missed", "abandoned", "voicemail", "callback-requested"):
            call = make_call(db_session, number="+8613812340000", status="completed")
            signals.callback_needed.send(app, call_id=call.id, reason=reason)
        created = chains(db_session)
        assert [c.trigger for c in created] == ["missed", "abandoned", "voicemail", "callback-requested"]
        assert all(c.reason == "callback" and c.due_at == NOW and c.step_index == -1 for c in created)
        # The first step runs at the scheduler's tick: the duty team first.
        assert steps.run_due(db_session, NOW, provider) == 4
    for chain in chains(db_session):
        assert [r.target_name for r in chain.referrals] == [network.worker.display_name]


def test_a_call_with_no_number_creates_nothing_unless_it_left_a_voicemail(
    app: Flask, db_session: Any, network: Any
) -> None:
    withheld = make_call(db_session, number=None, status="completed")
    signals.callback_needed.send(app, call_id=withheld.id, reason="missed")
    signals.callback_needed.send(app, call_id=withheld.id, reason="abandoned")
    assert chains(db_session) == []
    signals.callback_needed.send(app, call_id=withheld.id, reason="voicemail")
    assert [c.trigger for c in chains(db_session)] == ["voicemail"]


def test_one_call_gets_one_callback_referral(app: Flask, db_session: Any, network: Any) -> None:
    call = make_call(db_session, number="+8613812340001", status="completed")
    signals.callback_needed.send(app, call_id=call.id, reason="abandoned")
    signals.callback_needed.send(app, call_id=call.id, reason="voicemail")
    assert len(chains(db_session)) == 1


def test_nobody_on_duty_waits_for_the_next_shift(db_session: Any, network: Any, provider: Any) -> None:
    call = make_call(db_session, number="+8613812340002", status="completed")
    night = NOW - timedelta(hours=12)
    triggers.callback_for_call(db_session, call.id, "missed", night)
    steps.run_due(db_session, night, provider)
    (chain,) = chains(db_session)
    assert chain.referrals == [] and chain.due_at == network_shift_start()
    steps.run_due(db_session, network_shift_start(), provider)
    db_session.refresh(chain)
    assert [r.target_name for r in chain.referrals] == [network.worker.display_name]


def network_shift_start() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def test_high_risk_intake_alerts_the_supervisor_at_once(
    app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    case = make_case(db_session, network.community, risk="high")
    with time_machine.travel(NOW, tick=False):
        signals.intake_saved.send(
            app, case_id=case.id, call_id=None, risk="high", outcome="advice", worker_id=network.worker.id
        )
        signals.intake_saved.send(
            app, case_id=case.id, call_id=None, risk="high", outcome="advice", worker_id=network.worker.id
        )
    (chain,) = chains(db_session)
    assert chain.reason == "risk" and chain.urgency == "urgent"
    assert [r.target_name for r in chain.referrals] == [network.supervisor.display_name]
    # The first step is an emergency: a call and an SMS to the supervisor on call.
    assert [c["to"] for c in provider.calls] == ["+8613900000030"]
    assert [m["to"] for m in provider.messages] == ["+8613900000030"]


def test_low_risk_and_the_escalate_outcome_start_nothing_by_signal(
    app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    case = make_case(db_session, network.community, risk="low")
    signals.intake_saved.send(app, case_id=case.id, call_id=None, risk="low", outcome="escalate", worker_id=None)
    assert chains(db_session) == []


# --- SMS replies ----------------------------------------------------------------------------------


def reply(app: Flask, sid: str, sender: str | None, body: str) -> str | None:
    answers = [
        answer
        for _receiver, answer in signals.sms_received.send(app, message_sid=sid, from_number=sender, body=body)
        if answer
    ]
    return answers[0] if answers else None


def first_referral(session: Any, network: Any, provider: Any) -> tuple[Referral, str]:
    case = make_case(session, network.community)
    chain = triggers.escalate_case(
        session,
        case.id,
        reason="home_visit",
        urgency="normal",
        note="请上门",
        actor_id=None,
        now=NOW,
        provider=provider,
    )
    referral = chain.referrals[0]
    code = session.scalar(select(ResponderReplyCode.code).where(ResponderReplyCode.referral_id == referral.id))
    assert f"1 {code}" in provider.messages[0]["body"]
    return referral, code


def test_sms_reply_accepts_and_a_replay_changes_nothing(
    app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    referral, code = first_referral(db_session, network, provider)
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        answer = reply(app, "SM1", "+8613900000002", f"1 {code}")
        assert "接受" in answer and str(referral.number) in answer
        assert reply(app, "SM1", "+8613900000002", f"1 {code}") == answer  # Twilio retried the same message
        again = reply(app, "SM2", "+8613900000002", f"2 {code}")  # the responder sends another answer
    assert "已经" in again
    db_session.refresh(referral)
    assert referral.status == "accepted" and referral.escalation.status == "acknowledged"
    assert db_session.scalar(select(func.count(SmsReply.id))) == 2


def test_sms_reply_with_a_bad_code_or_from_a_wrong_sender_changes_nothing(
    app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    referral, code = first_referral(db_session, network, provider)
    bad = "0000" if code != "0000" else "0001"
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        assert "无法识别" in reply(app, "SM3", "+8613900000002", f"1 {bad}")
        assert "号码" in reply(app, "SM4", "+8613999999999", f"1 {code}")
        assert "号码" in reply(app, "SM5", None, f"1 {code}")
        assert reply(app, "SM6", "+8613900000002", "你好") is None  # not a reply: not ours
    db_session.refresh(referral)
    assert referral.status == "notified"


def test_sms_reply_to_an_expired_referral_changes_nothing(
    app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    referral, code = first_referral(db_session, network, provider)
    steps.run_due(db_session, NOW + timedelta(minutes=30), provider)  # passed on to the next station
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        answer = reply(app, "SM7", "+8613900000002", f"1 {code}")
    assert "过期" in answer
    db_session.refresh(referral)
    assert referral.status == "expired" and referral.escalation.status == "running"


def test_sms_decline_passes_the_referral_on(app: Flask, db_session: Any, network: Any, provider: Any) -> None:
    referral, code = first_referral(db_session, network, provider)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert "拒绝" in reply(app, "SM8", "+8613900000002", f"2 {code}")
    db_session.refresh(referral)
    assert referral.status == "declined" and referral.escalation.due_at == NOW + timedelta(minutes=1)
