"""The console over HTTP: the board, offers, the current call, the intake with its errors and drafts."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hotline.clock import utcnow
from hotline.routing import services as routing
from hotline.routing.models import Offer, WorkerPresence
from hotline.telephony.models import Call, CallEvent
from tests.conftest import csrf_token, log_in
from tests.routing.conftest import queue_call
from tests.support.signing import signed_post

VALID_INTAKE = {
    "call_type": "content",
    "caller_name": "",
    "caller_phone": "13812345678",
    "consent_callback": "y",
    "gender": "female",
    "age_group": "60_79",
    "services": ["emotional", "resources"],
    "target_groups": ["elderly_alone"],
    "risk": "low",
    "summary": "独居老人,最近情绪低落,希望有人上门探访。",
    "actions_taken": "倾听并介绍社区服务。",
    "outcome": "resolved",
}


def test_the_console_shows_my_status_the_board_and_who_is_on_duty(client: Any, on_duty_worker: Any) -> None:
    worker = on_duty_worker(display_name="王芳")
    log_in(client, worker)
    page = client.get("/console").get_data(as_text=True)
    assert "我的状态" in page and "当前来电" in page and "值班人员" in page and "王芳" in page
    assert 'data-set-state="available"' in page and "socket.io-4.8.4.min.js" in page


def test_the_consoles_script_messages_keep_chinese_marks_around_their_details(client: Any, on_duty_worker: Any) -> None:
    log_in(client, on_duty_worker())
    page = client.get("/console").get_data(as_text=True)
    config = json.loads(re.search(r'<script id="console-config" type="application/json">(.*?)</script>', page, re.S)[1])
    strings = config["strings"]
    assert strings["riskAlertLine"] == "高风险来电：%(detail)s"
    assert strings["softphoneError"] == "网页电话不可用：%(detail)s"
    assert strings["microphoneMissing"] == "没有麦克风：%(detail)s"


def test_an_offer_rings_in_the_status_panel_and_accepting_opens_the_call(
    client: Any, db_session: Any, on_duty_worker: Any
) -> None:
    worker = on_duty_worker()
    log_in(client, worker)
    call = queue_call(db_session, queued_at=utcnow(), number="+8613912345678")
    routing.call_queued(db_session, call.id, utcnow())
    status = client.get("/console/fragments/status").get_data(as_text=True)
    assert "来电" in status and "139****5678" in status and "data-accept=" in status
    offer_id = int(status.split('data-accept="')[1].split('"')[0])
    token = csrf_token(client, "/console")
    answer = client.post(f"/api/v1/routing/offers/{offer_id}/accept", headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["url"] == f"/console/calls/{call.id}"
    again = client.post(f"/api/v1/routing/offers/{offer_id}/accept", headers={"X-CSRFToken": token})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "offer_gone"
    page = client.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "139****5678" in page and "13912345678" not in page and 'id="intake-form"' in page


def test_another_worker_cannot_open_someone_elses_call(app: Any, accepted_call: Any, make_user: Any) -> None:
    _worker, call = accepted_call
    other = log_in(app.test_client(), make_user("worker"))
    assert other.get(f"/console/calls/{call.id}").status_code == 404
    supervisor = log_in(app.test_client(), make_user("supervisor"))
    page = supervisor.get(f"/console/calls/{call.id}")
    assert page.status_code == 200
    assert "<dt>来电号码</dt>" in page.get_data(as_text=True) and "证书编号" not in page.get_data(as_text=True)


def test_intake_mistakes_are_shown_beside_their_fields_and_the_typed_values_kept(
    client: Any, accepted_call: Any, db_session: Any
) -> None:
    worker, call = accepted_call
    log_in(client, worker)
    token = csrf_token(client, f"/console/calls/{call.id}")
    bad = dict(VALID_INTAKE, services=[], caller_phone="12345abc", csrf_token=token)
    response = client.post(f"/console/calls/{call.id}/intake", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    services_block = page.split('id="services-field"')[1].split("</fieldset>")[0]
    assert 'role="alert"' in services_block
    phone_block = page.split('name="caller_phone"')[1].split("</div>")[0]
    assert 'role="alert"' in phone_block and 'value="12345abc"' in page and "独居老人" in page
    assert "不是有效的电话号码" in phone_block
    good = client.post(f"/console/calls/{call.id}/intake", data=dict(VALID_INTAKE, csrf_token=token))
    assert good.status_code == 302 and good.headers["Location"] == "/console"
    db_session.expire_all()
    linked = db_session.get(Call, call.id)
    assert (
        linked.case_id is not None and linked.case.summary.startswith("独居老人") if hasattr(linked, "case") else True
    )
    from hotline.cases.models import Case

    case = db_session.get(Case, linked.case_id)
    assert case.services == ["emotional", "resources"] and case.caller_phone == "+8613812345678"


def test_a_draft_is_kept_and_shown_again_when_the_page_reloads(client: Any, accepted_call: Any) -> None:
    worker, call = accepted_call
    log_in(client, worker)
    token = csrf_token(client, f"/console/calls/{call.id}")
    draft = {"summary": "来电者说到一半断线了", "services": ["listening"], "risk": "medium"}
    saved = client.put(f"/api/v1/console/calls/{call.id}/draft", json=draft, headers={"X-CSRFToken": token})
    assert saved.status_code == 200
    page = client.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "来电者说到一半断线了" in page
    assert 'value="listening" checked' in page or 'checked id="services' in page or 'listening" checked' in page


def test_a_call_without_content_is_recorded_in_one_click(client: Any, accepted_call: Any, db_session: Any) -> None:
    worker, call = accepted_call
    log_in(client, worker)
    token = csrf_token(client, f"/console/calls/{call.id}")
    response = client.post(f"/console/calls/{call.id}/call-type", data={"call_type": "silent", "csrf_token": token})
    assert response.status_code == 302
    from hotline.cases.models import IntakeVersion

    version = db_session.scalar(select(IntakeVersion).where(IntakeVersion.call_id == call.id))
    assert version.call_type == "silent" and db_session.get(Call, call.id).case_id is None


def test_high_risk_alerts_the_supervisor_on_call_once(client: Any, accepted_call: Any, db_session: Any) -> None:
    worker, call = accepted_call
    log_in(client, worker)
    token = csrf_token(client, f"/console/calls/{call.id}")
    url = f"/api/v1/console/calls/{call.id}/risk-alert"
    assert client.post(url, json={"risk": "medium"}, headers={"X-CSRFToken": token}).get_json() == {"alerted": False}
    assert client.post(url, json={"risk": "high"}, headers={"X-CSRFToken": token}).get_json() == {"alerted": True}
    assert client.post(url, json={"risk": "high"}, headers={"X-CSRFToken": token}).get_json() == {"alerted": False}
    alerts = db_session.scalars(select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind == "risk.alert"))
    assert [event.data["risk"] for event in alerts] == ["high"]
    board = client.get("/console/fragments/board").get_data(as_text=True)
    assert "风险" in board


def test_hanging_up_ends_the_call_and_starts_wrap_up(
    client: Any, accepted_call: Any, db_session: Any, recording_provider: Any
) -> None:
    worker, call = accepted_call
    log_in(client, worker)
    token = csrf_token(client, f"/console/calls/{call.id}")
    response = client.post(f"/console/calls/{call.id}/hang-up", data={"csrf_token": token})
    assert response.status_code == 302 and call.call_sid in recording_provider.hangups
    db_session.expire_all()
    assert db_session.get(WorkerPresence, worker.id).state == "wrap_up"


def test_a_cold_transfer_rings_the_colleague_and_their_accept_ends_my_part(
    app: Any, client: Any, accepted_call: Any, on_duty_worker: Any, db_session: Any
) -> None:
    worker, call = accepted_call
    colleague = on_duty_worker(display_name="李强")
    log_in(client, worker)
    page = client.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "李强" in page
    token = csrf_token(client, f"/console/calls/{call.id}")
    client.post(
        f"/console/calls/{call.id}/transfer", data={"kind": "cold", "worker_id": colleague.id, "csrf_token": token}
    )
    offer = db_session.scalar(select(Offer).where(Offer.worker_id == colleague.id, Offer.status == "ringing"))
    assert offer is not None and offer.kind == "transfer"
    db_session.get(Call, call.id).status = "queued"  # the phone line takes the caller back to dial the colleague
    db_session.commit()
    routing.accept_offer(db_session, offer.id, colleague.id, utcnow(), app.extensions["hotline_telephony"])
    db_session.expire_all()
    assert db_session.get(WorkerPresence, worker.id).state == "wrap_up"
    assert db_session.get(WorkerPresence, colleague.id).state == "busy"
    kinds = [e.kind for e in db_session.scalars(select(CallEvent).where(CallEvent.call_id == call.id))]
    assert "transfer.cold" in kinds


def test_a_warm_transfer_conferences_the_expert_in_and_the_worker_may_leave(
    client: Any, accepted_call: Any, db_session: Any, recording_provider: Any
) -> None:
    from hotline.directory.models import ExpertVolunteer
    from hotline.rota.models import Shift, ShiftAssignment

    worker, call = accepted_call
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
    log_in(client, worker)
    token = csrf_token(client, f"/console/calls/{call.id}")
    client.post(
        f"/console/calls/{call.id}/transfer", data={"kind": "warm", "expert_id": expert.id, "csrf_token": token}
    )
    assert recording_provider.redirects[-1][0] == call.call_sid and "conference" in recording_provider.redirects[-1][1]
    assert sorted(c["to"] for c in recording_provider.calls) == sorted([f"client:worker_{worker.id}", "+8613700000001"])
    client.post(f"/console/calls/{call.id}/transfer", data={"kind": "leave", "csrf_token": token})
    assert recording_provider.hangups[-1] == recording_provider.calls[0]["sid"]
    db_session.expire_all()
    assert db_session.get(WorkerPresence, worker.id).state == "wrap_up"
    kinds = [e.kind for e in db_session.scalars(select(CallEvent).where(CallEvent.call_id == call.id))]
    assert "transfer.warm" in kinds and "transfer.worker_left" in kinds


def test_the_conference_twiml_needs_twilios_signature(app: Any, client: Any, accepted_call: Any) -> None:
    _worker, call = accepted_call
    path = f"/twilio/console/conference/{call.id}?leg=caller"
    assert client.post(path, data={"CallSid": "CA1"}).status_code == 403
    answer = signed_post(app, client, path, {"CallSid": "CA1"})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and f"hotline-call-{call.id}</Conference>" in body
    assert 'endConferenceOnExit="true"' in body


def test_the_softphone_token_carries_a_voice_grant_for_the_worker(app: Any, client: Any, make_user: Any) -> None:
    import base64
    import json

    worker = make_user("worker")
    log_in(client, worker)
    assert client.get("/api/v1/console/softphone/token").get_json() == {"mode": "simulator"}
    saved = {k: app.config.get(k) for k in ("TELEPHONY", "TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET")}
    app.config.update(TELEPHONY="twilio", TWILIO_API_KEY_SID=None)
    try:
        assert client.get("/api/v1/console/softphone/token").status_code == 503
        app.config.update(TWILIO_API_KEY_SID="SK" + "1" * 32, TWILIO_API_KEY_SECRET="s" * 32)
        data = client.get("/api/v1/console/softphone/token").get_json()
        payload = data["token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert data["identity"] == f"worker_{worker.id}" == claims["grants"]["identity"]
        assert claims["grants"]["voice"]["incoming"] == {"allow": True}
        assert claims["exp"] - claims["nbf"] <= 3600
    finally:
        app.config.update(saved)


def test_a_supervisor_changes_a_workers_state(
    app: Any, client: Any, on_duty_worker: Any, make_user: Any, db_session: Any
) -> None:
    worker = on_duty_worker(display_name="赵敏")
    log_in(client, make_user("supervisor"))
    board = client.get("/console/fragments/board").get_data(as_text=True)
    assert f'data-set-state-for="{worker.id}"' in board
    token = csrf_token(client, "/console")
    answer = client.post(
        f"/api/v1/routing/presence/{worker.id}", json={"state": "break"}, headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 200
    db_session.expire_all()
    presence = db_session.get(WorkerPresence, worker.id)
    assert (presence.state, presence.reason) == ("break", "supervisor")


def test_a_worker_on_a_call_cannot_go_available_before_it_ends(client: Any, accepted_call: Any) -> None:
    worker, _call = accepted_call
    log_in(client, worker)
    token = csrf_token(client, "/console")
    answer = client.post("/api/v1/routing/presence", json={"state": "available"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "on_call"


def test_the_manager_sets_the_ring_time_and_offer_mode(client: Any, login_as: Any, db_session: Any) -> None:
    login_as("manager")
    token = csrf_token(client, "/routing/settings")
    bad = client.post(
        "/routing/settings",
        data={
            "ring_seconds": "2",
            "offer_mode": "all",
            "wrap_up_seconds": "60",
            "console_grace_seconds": "60",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    good = client.post(
        "/routing/settings",
        data={
            "ring_seconds": "30",
            "offer_mode": "all",
            "wrap_up_seconds": "90",
            "console_grace_seconds": "60",
            "csrf_token": token,
        },
    )
    assert good.status_code == 302
    from hotline.routing.settings import load_routing_settings

    settings = load_routing_settings(db_session)
    assert (settings.ring_seconds, settings.offer_mode, settings.wrap_up_seconds) == (30, "all", 90)
    assert settings.missed_offer_sets_break is False
