"""Over HTTP: the escalation form, board, policies, API, responder page and Twilio webhooks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.escalation import steps, triggers
from hotline.escalation.models import EscalationPolicy, NotificationAttempt, Referral
from hotline.escalation.notifications import link_token, serializer
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import NOW, make_case
from tests.support.signing import signed_post as twilio_post


def started(session: Any, network: Any, provider: Any, consent: bool = False, urgency: str = "normal") -> Referral:
    case = make_case(session, network.community, consent=consent, assigned_to_id=network.worker.id)
    chain = triggers.escalate_case(
        session,
        case.id,
        reason="home_visit",
        urgency=urgency,
        note="请今天上门看望",
        actor_id=None,
        now=NOW,
        provider=provider,
    )
    return chain.referrals[0]


# --- Escalation form, board, detail ---------------------------------------------------------------


def test_worker_escalates_a_case_to_the_station_covering_the_community(
    clock: Any, client: Any, db_session: Any, network: Any, provider: Any
) -> None:
    case = make_case(db_session, network.community, assigned_to_id=network.worker.id)
    log_in(client, network.worker)
    page = client.get(f"/escalation/new?case_id={case.id}")
    assert page.status_code == 200 and "东里社区室" in page.get_data(as_text=True)
    token = csrf_token(client, f"/escalation/new?case_id={case.id}")
    response = client.post(
        f"/escalation/new?case_id={case.id}",
        data={"reason": "home_visit", "urgency": "normal", "skill": "", "note": "请上门", "csrf_token": token},
    )
    assert response.status_code == 302
    assert [m["to"] for m in provider.messages] == ["+8613900000002"]
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "东里社区室" in detail and "已通知" in detail


def test_escalation_form_keeps_input_and_refuses_a_worker_override(
    clock: Any, client: Any, db_session: Any, network: Any, provider: Any
) -> None:
    case = make_case(db_session, network.community, assigned_to_id=network.worker.id)
    log_in(client, network.worker)
    token = csrf_token(client, f"/escalation/new?case_id={case.id}")
    missing = client.post(
        f"/escalation/new?case_id={case.id}",
        data={"reason": "legal", "urgency": "urgent", "note": "", "csrf_token": token},
    )
    assert missing.status_code == 422 and 'selected value="legal"' in missing.get_data(as_text=True)
    sneaky = client.post(
        f"/escalation/new?case_id={case.id}",
        data={
            "reason": "legal",
            "urgency": "normal",
            "note": "法律",
            "consent_override": "y",
            "override_reason": "x",
            "csrf_token": token,
        },
    )
    assert sneaky.status_code == 422 and provider.messages == []


def test_supervisor_override_is_logged(clock: Any, client: Any, db_session: Any, network: Any, provider: Any) -> None:
    case = make_case(db_session, network.community)
    log_in(client, network.supervisor)
    token = csrf_token(client, f"/escalation/new?case_id={case.id}")
    page = client.post(
        f"/escalation/new?case_id={case.id}",
        data={
            "reason": "home_visit",
            "urgency": "normal",
            "note": "上门",
            "consent_override": "y",
            "override_reason": "",
            "csrf_token": token,
        },
    )
    assert page.status_code == 422 and "理由" in page.get_data(as_text=True)
    done = client.post(
        f"/escalation/new?case_id={case.id}",
        data={
            "reason": "home_visit",
            "urgency": "normal",
            "note": "上门",
            "consent_override": "y",
            "override_reason": "独居老人安全",
            "csrf_token": token,
        },
    )
    assert done.status_code == 302 and "138****5678" in provider.messages[0]["body"]
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "escalation.consent_override"))


def test_board_shows_pending_overdue_and_owned(
    clock: Any, client: Any, db_session: Any, network: Any, provider: Any
) -> None:
    started(db_session, network, provider)
    log_in(client, network.worker)
    clock.move_to(NOW + timedelta(minutes=45))
    page = client.get("/escalation/").get_data(as_text=True)
    overdue = page.split("已逾期")[1].split("等待答复")[0]
    assert "东里社区室" in overdue
    assert "按服务站" in page


def test_duty_worker_acknowledges_a_callback_from_the_detail_page(
    clock: Any, client: Any, db_session: Any, network: Any, provider: Any
) -> None:
    case = make_case(db_session, network.community)
    chain, attempts = triggers.start_escalation(
        db_session, trigger="missed", reason="callback", urgency="normal", now=NOW, case=case
    )
    db_session.commit()
    log_in(client, network.worker)
    token = csrf_token(client, f"/escalation/{chain.id}")
    referral = chain.referrals[0]
    response = client.post(f"/escalation/referrals/{referral.id}/acknowledge", data={"csrf_token": token})
    assert response.status_code == 302
    db_session.refresh(chain)
    assert chain.status == "acknowledged" and chain.referrals[0].status == "acknowledged"
    closed = client.post(
        f"/escalation/referrals/{referral.id}/outcome",
        data={"outcome": "followed_up", "note": "已回电", "csrf_token": token},
    )
    assert closed.status_code == 302
    db_session.refresh(referral)
    assert referral.status == "done"


def test_another_worker_may_not_answer_for_someone_else(
    clock: Any, client: Any, db_session: Any, network: Any, provider: Any, make_user: Any
) -> None:
    case = make_case(db_session, network.community)
    chain, _ = triggers.start_escalation(
        db_session, trigger="missed", reason="callback", urgency="normal", now=NOW, case=case
    )
    db_session.commit()
    log_in(client, make_user("worker"))
    token = csrf_token(client, "/escalation/")
    assert (
        client.post(
            f"/escalation/referrals/{chain.referrals[0].id}/acknowledge", data={"csrf_token": token}
        ).status_code
        == 403
    )


def test_manager_edits_a_policy_and_the_change_is_audited(
    clock: Any, client: Any, db_session: Any, network: Any
) -> None:
    log_in(client, network.manager)
    policy = db_session.scalar(select(EscalationPolicy).where(EscalationPolicy.reason == "home_visit"))
    page = client.get(f"/escalation/policies/{policy.id}").get_data(as_text=True)
    assert "上门探访" in page
    token = csrf_token(client, "/escalation/policies")
    bad = client.post(
        f"/escalation/policies/{policy.id}",
        data={"name": "上门探访（新）", "reason": "home_visit", "urgency": "any", "csrf_token": token},
    )
    assert bad.status_code == 422 and 'value="上门探访（新）"' in bad.get_data(as_text=True)
    good = client.post(
        f"/escalation/policies/{policy.id}",
        data={
            "name": "上门探访（新）",
            "reason": "home_visit",
            "urgency": "any",
            "active": "y",
            "steps-0-targets": ["area_station"],
            "steps-0-wait_minutes": "20",
            "steps-0-repeat": "1",
            "steps-1-targets": ["district_centre", "supervisor"],
            "steps-1-wait_minutes": "30",
            "csrf_token": token,
        },
    )
    assert good.status_code == 302
    db_session.refresh(policy)
    assert [(s.targets, s.wait_minutes, s.repeat) for s in policy.steps] == [
        (["area_station"], 20, 1),
        (["district_centre", "supervisor"], 30, 0),
    ]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "escalation.policy_change"))
    assert entry.actor_id == network.manager.id and len(entry.detail["before"]["steps"]) == 4


def test_a_running_chain_keeps_its_copy_of_the_policy(clock: Any, db_session: Any, network: Any, provider: Any) -> None:
    referral = started(db_session, network, provider)
    policy = db_session.scalar(select(EscalationPolicy).where(EscalationPolicy.reason == "home_visit"))
    for step in policy.steps:
        step.wait_minutes = 999
    db_session.commit()
    steps.run_due(db_session, NOW + timedelta(minutes=30), provider)
    assert db_session.get(Referral, referral.id).status == "expired"


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_referrals_by_status_and_lateness(
    clock: Any, client: Any, db_session: Any, network: Any, provider: Any
) -> None:
    referral = started(db_session, network, provider)
    log_in(client, network.worker)
    clock.move_to(NOW + timedelta(minutes=40))
    late = client.get("/api/v1/referrals?overdue=true").get_json()["referrals"]
    on_time = client.get("/api/v1/referrals?overdue=false").get_json()["referrals"]
    notified = client.get("/api/v1/referrals?status=notified").get_json()["referrals"]
    one = client.get(f"/api/v1/referrals/{referral.id}").get_json()
    assert client.get("/api/v1/referrals?status=bogus").status_code == 400
    assert client.get("/api/v1/referrals/999999").get_json()["error"]["code"] == "not_found"
    assert [r["id"] for r in late] == [referral.id] and on_time == [] and len(notified) == 1
    assert one["case"]["caller"] == "138****5678" and one["target"]["name"] == "东里社区室"
    assert one["attempts"][0]["provider_id"].startswith("SM") and one["attempts"][0]["to"] == "139****0002"
    assert [s["kind"] for s in one["steps"]][:2] == ["started", "step"]


# --- Responder page -------------------------------------------------------------------------------


def test_responder_page_shows_only_what_is_needed_and_accepts(
    clock: Any, app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    referral = started(db_session, network, provider)
    link = re.search(r"http://[^ ]+/r/(\S+)", provider.messages[0]["body"]).group(1)
    responder = app.test_client()
    clock.move_to(NOW + timedelta(minutes=2))
    page = responder.get(f"/r/{link}").get_data(as_text=True)
    assert "甲街道东里社区" in page and "请今天上门看望" in page and "独居老人" in page
    assert "张三" not in page and "5678" not in page and "未共享" in page
    assert responder.post(f"/r/{link}/accept", data={"note": ""}).status_code == 400  # no CSRF token
    token = csrf_token(responder, f"/r/{link}")
    accepted = responder.post(f"/r/{link}/accept", data={"note": "今天下午去", "csrf_token": token})
    assert accepted.status_code == 200 and "已记录" in accepted.get_data(as_text=True)
    again = responder.post(f"/r/{link}/decline", data={"csrf_token": token})
    assert again.status_code == 409
    done = responder.post(f"/r/{link}/done", data={"outcome": "resolved", "note": "已探访", "csrf_token": token})
    assert done.status_code == 200
    db_session.refresh(referral)
    assert referral.status == "done" and referral.outcome_note == "已探访"


def test_responder_sees_the_callers_details_with_consent(
    clock: Any, app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    referral = started(db_session, network, provider, consent=True)
    page = app.test_client().get(f"/r/{link_token(referral.id)}").get_data(as_text=True)
    assert "张三" in page and "+8613812345678" in page


def test_tampered_and_expired_links_show_nothing(
    clock: Any, app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    referral = started(db_session, network, provider)
    client = app.test_client()
    good = link_token(referral.id)
    other = serializer().dumps(referral.id + 1)
    forged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    assert client.get(f"/r/{forged}").status_code == 404
    assert client.get(f"/r/{other}").status_code == 404  # signed, but names no referral
    assert client.get("/r/not-a-token").status_code == 404
    old = link_token(referral.id)
    clock.move_to(NOW + timedelta(hours=73))
    expired = client.get(f"/r/{old}")
    assert expired.status_code == 410 and "过期" in expired.get_data(as_text=True)
    assert "东里" not in expired.get_data(as_text=True)
    assert client.post(f"/r/{old}/accept", data={}).status_code in (400, 410)
    db_session.refresh(referral)
    assert referral.status == "notified"


# --- Twilio webhooks ------------------------------------------------------------------------------


def test_voice_notification_reads_the_request_and_takes_a_keypress(
    clock: Any, app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    referral = started(db_session, network, provider, urgency="urgent")
    attempt = db_session.scalar(select(NotificationAttempt).where(NotificationAttempt.channel == "voice"))
    client = app.test_client()
    assert client.post(f"/twilio/escalation/voice/{attempt.id}", data={"CallSid": "CA1"}).status_code == 403
    twiml = twilio_post(app, client, f"/twilio/escalation/voice/{attempt.id}", {"CallSid": "CA1"})
    text = twiml.get_data(as_text=True)
    assert "<Gather" in text and "接受请按1" in text and 'language="cmn-CN"' in text
    wrong = twilio_post(app, client, f"/twilio/escalation/voice/{attempt.id}/answer", {"CallSid": "CA1", "Digits": "7"})
    assert "<Redirect" in wrong.get_data(as_text=True)
    yes = twilio_post(app, client, f"/twilio/escalation/voice/{attempt.id}/answer", {"CallSid": "CA1", "Digits": "1"})
    assert "已接受" in yes.get_data(as_text=True) and "<Hangup" in yes.get_data(as_text=True)
    db_session.refresh(referral)
    assert referral.status == "accepted"


def test_webhooks_answer_safe_twiml_and_never_500(clock: Any, app: Flask, db_session: Any) -> None:
    client = app.test_client()
    missing = twilio_post(app, client, "/twilio/escalation/voice/999999", {"CallSid": "CA9"})
    assert missing.status_code == 200 and "<Hangup" in missing.get_data(as_text=True)
    answer = twilio_post(app, client, "/twilio/escalation/voice/999999/answer", {"CallSid": "CA9", "Digits": "1"})
    assert answer.status_code == 200 and "<Hangup" in answer.get_data(as_text=True)
    status = twilio_post(app, client, "/twilio/escalation/status/999999", {"MessageStatus": "delivered"})
    assert status.status_code == 204


def test_delivery_status_only_moves_forward(
    clock: Any, app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    started(db_session, network, provider, urgency="urgent")
    sms = db_session.scalar(select(NotificationAttempt).where(NotificationAttempt.channel == "sms"))
    call = db_session.scalar(select(NotificationAttempt).where(NotificationAttempt.channel == "voice"))
    client = app.test_client()
    twilio_post(app, client, f"/twilio/escalation/status/{sms.id}", {"MessageSid": "SM1", "MessageStatus": "delivered"})
    twilio_post(app, client, f"/twilio/escalation/status/{sms.id}", {"MessageSid": "SM1", "MessageStatus": "sent"})
    twilio_post(
        app,
        client,
        f"/twilio/escalation/status/{call.id}",
        {"CallSid": "CA1", "CallStatus": "completed", "SequenceNumber": "3"},
    )
    twilio_post(
        app,
        client,
        f"/twilio/escalation/status/{call.id}",
        {"CallSid": "CA1", "CallStatus": "ringing", "SequenceNumber": "1"},
    )
    db_session.refresh(sms)
    db_session.refresh(call)
    assert sms.status == "delivered" and call.status == "completed"
