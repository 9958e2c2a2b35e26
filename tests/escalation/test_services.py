"""Escalation chains: each policy step, deadlines, answers, consent and its override, channels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.escalation import services, steps, triggers
from hotline.escalation.exceptions import AlreadyAnswered, NotAllowed, OverrideReasonMissing, ReferralExpired
from hotline.escalation.models import Escalation, NotificationAttempt, Referral, ReferralStep
from tests.escalation.conftest import NOW, make_case


def escalate(
    session: Any, case: Any, provider: Any, reason: str = "home_visit", urgency: str = "normal", **extra: Any
) -> Escalation:
    return triggers.escalate_case(
        session,
        case.id,
        reason=reason,
        urgency=urgency,
        note="请上门看望",
        actor_id=extra.pop("actor_id", None),
        now=extra.pop("now", NOW),
        provider=provider,
        **extra,
    )


def targets_of(escalation: Escalation, step: int) -> list[str]:
    return [r.target_name for r in escalation.referrals if r.step_number == step]


def test_home_visit_chain_runs_each_step_on_its_deadline(db_session: Any, network: Any, provider: Any) -> None:
    case = make_case(db_session, network.community)
    chain = escalate(db_session, case, provider)
    assert targets_of(chain, 0) == ["东里社区室"]
    assert [m["to"] for m in provider.messages] == ["+8613900000002"]
    assert chain.due_at == NOW + timedelta(minutes=30)
    # Not yet due: nothing moves.
    assert steps.run_due(db_session, NOW + timedelta(minutes=29), provider) == 0
    # Step 2: the next nearest station (the street's station), the room's referral expires.
    assert steps.run_due(db_session, NOW + timedelta(minutes=30), provider) == 1
    db_session.refresh(chain)
    assert targets_of(chain, 1) == ["甲街道站"]
    assert [r.status for r in chain.referrals if r.step_number == 0] == ["expired"]
    # Step 3: the district centre (60 min), then the manager, then the chain ends.
    steps.run_due(db_session, NOW + timedelta(minutes=60), provider)
    db_session.refresh(chain)
    assert targets_of(chain, 2) == ["区中心"] and chain.due_at == NOW + timedelta(minutes=120)
    steps.run_due(db_session, NOW + timedelta(minutes=120), provider)
    db_session.refresh(chain)
    assert targets_of(chain, 3) == [network.manager.display_name]
    steps.run_due(db_session, NOW + timedelta(minutes=180), provider)
    db_session.refresh(chain)
    assert chain.status == "exhausted" and chain.due_at is None
    assert all(r.status == "expired" for r in chain.referrals)
    keys = [e.dedupe_key for e in chain.events if e.kind == "step"]
    assert keys == ["step:0:0", "step:1:0", "step:2:0", "step:3:0"]


def test_a_step_never_runs_twice_when_ticks_repeat(db_session: Any, network: Any, provider: Any) -> None:
    chain = escalate(db_session, make_case(db_session, network.community), provider)
    later = NOW + timedelta(minutes=31)
    assert steps.run_due(db_session, later, provider) == 1
    assert steps.run_due(db_session, later, provider) == 0
    db_session.refresh(chain)
    assert len(targets_of(chain, 1)) == 1 and len(provider.messages) == 2


def test_acceptance_stops_the_chain_for_good(db_session: Any, network: Any, provider: Any) -> None:
    chain = escalate(db_session, make_case(db_session, network.community), provider)
    referral = chain.referrals[0]
    services.respond(db_session, referral.id, "accept", now=NOW + timedelta(minutes=5), via="link")
    db_session.refresh(chain)
    assert chain.status == "acknowledged" and chain.due_at is None
    sent = len(provider.messages)
    assert steps.run_due(db_session, NOW + timedelta(days=1), provider) == 0
    assert len(provider.messages) == sent
    with pytest.raises(AlreadyAnswered):
        services.respond(db_session, referral.id, "decline", now=NOW + timedelta(minutes=6), via="link")


def test_queued_notifications_are_cancelled_after_an_acknowledgement(
    db_session: Any, network: Any, provider: Any
) -> None:
    case = make_case(db_session, network.community)
    chain, attempts = triggers.start_escalation(
        db_session, trigger="worker", reason="home_visit", urgency="urgent", now=NOW, case=case
    )
    db_session.commit()
    services.respond(db_session, chain.referrals[0].id, "accept", now=NOW, via="board")
    steps.run_due(db_session, NOW, provider)  # the sweep finds the stored attempts
    statuses = {a.status for a in db_session.scalars(select(NotificationAttempt)).all()}
    assert statuses == {"cancelled"} and provider.messages == [] and provider.calls == []


def test_decline_moves_on_at_the_next_tick(db_session: Any, network: Any, provider: Any) -> None:
    chain = escalate(db_session, make_case(db_session, network.community), provider)
    services.respond(db_session, chain.referrals[0].id, "decline", now=NOW + timedelta(minutes=2), via="sms")
    db_session.refresh(chain)
    assert chain.due_at == NOW + timedelta(minutes=2)
    steps.run_due(db_session, NOW + timedelta(minutes=2), provider)
    db_session.refresh(chain)
    assert targets_of(chain, 1) == ["甲街道站"]


def test_a_declined_target_is_not_asked_again(db_session: Any, network: Any, provider: Any) -> None:
    case = make_case(db_session, network.plain_community)  # no room: the street's station first
    chain = escalate(db_session, case, provider)
    assert targets_of(chain, 0) == ["甲街道站"]
    services.respond(db_session, chain.referrals[0].id, "decline", now=NOW, via="link")
    steps.run_due(db_session, NOW, provider)
    db_session.refresh(chain)
    assert targets_of(chain, 1) == ["乙镇站"]  # next nearest by distance


def test_legal_chain_expert_on_duty_then_any_then_supervisor(db_session: Any, network: Any, provider: Any) -> None:
    chain = escalate(db_session, make_case(db_session, network.community), provider, reason="legal", skill="legal")
    assert targets_of(chain, 0) == ["韩律师"]  # Tuesday: on duty
    assert chain.due_at == NOW + timedelta(hours=2)
    steps.run_due(db_session, NOW + timedelta(hours=2), provider)
    db_session.refresh(chain)
    assert targets_of(chain, 1) == ["韩律师"]
    steps.run_due(db_session, NOW + timedelta(hours=4), provider)
    db_session.refresh(chain)
    assert targets_of(chain, 2) == [network.supervisor.display_name]


def test_an_expert_at_capacity_is_skipped(db_session: Any, network: Any, provider: Any) -> None:
    network.lawyer.max_open_referrals = 0
    db_session.commit()
    chain = escalate(db_session, make_case(db_session, network.community), provider, reason="legal", skill="legal")
    # Both expert steps find nobody: the supervisor is asked at once.
    assert [e.kind for e in chain.events].count("skipped") == 2
    assert targets_of(chain, 2) == [network.supervisor.display_name]


def test_repeat_notifies_the_same_targets_again(db_session: Any, network: Any, provider: Any) -> None:
    case = make_case(db_session, network.community)
    chain, attempts = triggers.start_escalation(
        db_session, trigger="callback-requested", reason="callback", urgency="normal", now=NOW, case=case
    )
    db_session.commit()
    assert targets_of(chain, 0) == [network.worker.display_name]
    steps.run_due(db_session, NOW + timedelta(minutes=15), provider)
    db_session.refresh(chain)
    assert (chain.step_index, chain.repeat_index) == (0, 1)
    assert len(targets_of(chain, 0)) == 1 and len(chain.referrals[0].attempts) == 2
    steps.run_due(db_session, NOW + timedelta(minutes=30), provider)
    db_session.refresh(chain)
    assert targets_of(chain, 1) == [network.supervisor.display_name]


def test_urgency_picks_the_channels(db_session: Any, network: Any, provider: Any) -> None:
    escalate(db_session, make_case(db_session, network.community), provider, urgency="urgent")
    assert len(provider.messages) == 1 and len(provider.calls) == 1
    assert provider.calls[0]["url"].endswith(f"/twilio/escalation/voice/{provider_attempt(db_session, 'voice')}")


def provider_attempt(session: Any, channel: str) -> int:
    return session.scalar(select(NotificationAttempt.id).where(NotificationAttempt.channel == channel))


def test_mainland_numbers_through_twilio_get_no_reply_code_or_link_but_a_call(
    app: Any, db_session: Any, network: Any, provider: Any
) -> None:
    app.config["TELEPHONY"] = "twilio"
    try:
        escalate(db_session, make_case(db_session, network.community), provider)
    finally:
        app.config["TELEPHONY"] = "simulator"
    body = provider.messages[0]["body"]
    assert "http" not in body and "回复" not in body
    assert len(provider.calls) == 1


def test_responder_channel_choice_is_respected(db_session: Any, network: Any, provider: Any) -> None:
    network.room.notify_channels = ["voice"]
    db_session.commit()
    escalate(db_session, make_case(db_session, network.community), provider)
    assert provider.messages == [] and [c["to"] for c in provider.calls] == ["+8613900000002"]


def test_without_consent_no_name_or_number_goes_out(db_session: Any, network: Any, provider: Any) -> None:
    escalate(db_session, make_case(db_session, network.community, consent=False), provider)
    body = provider.messages[0]["body"]
    assert "5678" not in body and "张三" not in body
    assert "回复“1 " in body or '回复"1 ' in body or "1 " in body


def test_with_consent_the_masked_number_is_in_the_message(db_session: Any, network: Any, provider: Any) -> None:
    escalate(db_session, make_case(db_session, network.community, consent=True), provider)
    assert "138****5678" in provider.messages[0]["body"]


def test_consent_override_needs_a_supervisor_and_a_logged_reason(db_session: Any, network: Any, provider: Any) -> None:
    case = make_case(db_session, network.community, consent=False)
    with pytest.raises(NotAllowed):
        escalate(db_session, case, provider, actor_id=network.worker.id, consent_override_reason="需要")
    with pytest.raises(OverrideReasonMissing):
        escalate(db_session, case, provider, actor_id=network.supervisor.id, consent_override_reason="  ")
    chain = escalate(
        db_session, case, provider, actor_id=network.supervisor.id, consent_override_reason="老人独居有危险"
    )
    assert chain.shares_personal_details and "138****5678" in provider.messages[-1]["body"]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "escalation.consent_override"))
    assert entry.actor_id == network.supervisor.id and entry.detail["reason"] == "老人独居有危险"


def test_an_expired_referral_cannot_be_accepted(db_session: Any, network: Any, provider: Any) -> None:
    chain = escalate(db_session, make_case(db_session, network.community), provider)
    first = chain.referrals[0].id
    steps.run_due(db_session, NOW + timedelta(minutes=30), provider)
    with pytest.raises(ReferralExpired):
        services.respond(db_session, first, "accept", now=NOW + timedelta(minutes=31), via="sms")


def test_outcome_returns_to_the_case(db_session: Any, network: Any, provider: Any) -> None:
    from hotline.escalation.board import referrals_for_case

    case = make_case(db_session, network.community)
    chain = escalate(db_session, case, provider)
    referral_id = chain.referrals[0].id
    services.respond(db_session, referral_id, "accept", now=NOW, via="link")
    services.complete(db_session, referral_id, outcome="resolved", note="已上门", now=NOW, via="link")
    (referral,) = referrals_for_case(db_session, case.id)
    assert referral.status == "done" and referral.outcome == "resolved" and referral.outcome_note == "已上门"
    assert db_session.scalar(select(ReferralStep.kind).where(ReferralStep.kind == "done")) == "done"


def test_take_over_from_the_board_stops_the_chain(db_session: Any, network: Any, provider: Any) -> None:
    chain = escalate(db_session, make_case(db_session, network.community), provider)
    mine = services.take_over(db_session, chain.id, actor_id=network.supervisor.id, now=NOW)
    db_session.refresh(chain)
    assert mine.status == "acknowledged" and chain.status == "acknowledged"
    assert db_session.get(Referral, chain.referrals[0].id).status == "expired"


def test_a_referral_is_created_at_the_moment_of_its_step_not_its_deadline(
    db_session: Any, network: Any, provider: Any
) -> None:
    chain = escalate(db_session, make_case(db_session, network.community), provider)
    first = chain.referrals[0]
    db_session.expire_all()
    first = db_session.get(Referral, first.id)
    assert first.created_at == NOW and first.due_at == NOW + timedelta(minutes=30)
    steps.run_due(db_session, NOW + timedelta(minutes=31), provider)
    db_session.refresh(chain)
    second = next(r for r in chain.referrals if r.step_number == 1)
    assert second.created_at == NOW + timedelta(minutes=31)
    assert second.due_at > second.created_at


def test_a_referral_is_known_by_one_number_in_its_sms_reply_and_pages(
    app: Any, db_session: Any, network: Any, provider: Any
) -> None:
    from hotline.escalation.replies import handle_sms

    first = escalate(db_session, make_case(db_session, network.community), provider)
    steps.run_due(db_session, NOW + timedelta(minutes=30), provider)  # a second referral in the first chain
    chain = escalate(db_session, make_case(db_session, network.community), provider)
    referral = chain.referrals[0]
    assert referral.id != chain.id and first.id != chain.id  # the two numbers would differ
    body = provider.messages[-1]["body"]
    assert f"转介#{chain.id}（" in body and f"#{referral.id}（" not in body
    code = body.split("回复“1 ")[1].split("”")[0]
    with app.test_request_context():
        reply = handle_sms(db_session, "SM-one-number", provider.messages[-1]["to"], f"1 {code}", NOW)
    assert f"转介#{chain.id}。" in reply
    client = app.test_client()
    from tests.conftest import log_in

    log_in(client, network.manager)
    board = client.get("/escalation/").get_data(as_text=True)
    assert f"<td>{chain.id}</td>" in board and f"<td>{referral.id}</td>" not in board
