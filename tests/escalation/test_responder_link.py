"""A responder link dies with its referral, responder views are audited, personal pages are never cached."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.escalation import services
from hotline.escalation.models import Referral
from hotline.escalation.notifications import link_token
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import NOW
from tests.escalation.test_routes import started


def ended_by(how: str, session: Any, referral: Referral) -> None:
    """End the referral one way or another."""
    if how == "done":
        services.respond(session, referral.id, "accept", now=NOW, via="link")
        services.complete(session, referral.id, outcome="resolved", note="已探访", now=NOW, via="link")
    elif how == "declined":
        services.respond(session, referral.id, "decline", now=NOW, via="link")
    elif how == "cancelled":
        services.cancel(session, referral.escalation_id, actor_id=None, now=NOW, why="不再需要")
    elif how == "case closed":
        services.respond(session, referral.id, "accept", now=NOW, via="link")
        referral.case.status = "closed"
        session.commit()


@pytest.mark.parametrize("how", ["done", "declined", "cancelled", "case closed"])
def test_the_link_is_dead_once_the_referral_ends(
    how: str, clock: Any, app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    referral = started(db_session, network, provider, consent=True)
    link = f"/r/{link_token(referral.id)}"
    responder = app.test_client()
    assert "张三" in responder.get(link).get_data(as_text=True)
    ended_by(how, db_session, referral)
    page = responder.get(link)
    body = page.get_data(as_text=True)
    assert page.status_code == 410, how
    assert "张三" not in body and "独居老人" not in body and "请今天上门看望" not in body and "5678" not in body


def test_finishing_from_the_link_thanks_without_repeating_the_details(
    clock: Any, app: Flask, db_session: Any, network: Any, provider: Any
) -> None:
    referral = started(db_session, network, provider, consent=True)
    link = f"/r/{link_token(referral.id)}"
    responder = app.test_client()
    token = csrf_token(responder, link)
    responder.post(f"{link}/accept", data={"note": "", "csrf_token": token})
    done = responder.post(f"{link}/done", data={"outcome": "resolved", "note": "已探访", "csrf_token": token})
    assert done.status_code == 200 and "张三" not in done.get_data(as_text=True)


def test_each_responder_view_is_audited(clock: Any, app: Flask, db_session: Any, network: Any, provider: Any) -> None:
    referral = started(db_session, network, provider, consent=True)
    app.test_client().get(f"/r/{link_token(referral.id)}")
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "referral.responder_view"))
    assert entry.target == f"referral:{referral.id}" and entry.detail["caller_details"] is True


def test_personal_responses_are_no_store_and_static_files_are_not(
    clock: Any, app: Flask, client: Any, db_session: Any, network: Any, provider: Any
) -> None:
    referral = started(db_session, network, provider)
    assert app.test_client().get(f"/r/{link_token(referral.id)}").headers["Cache-Control"] == "no-store"
    log_in(client, network.worker)
    for path in ("/cases", f"/cases/{referral.case_id}", "/api/v1/referrals", "/api/v1/me", "/console"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    static = client.get("/static/css/cases.css")
    static.close()
    assert "no-store" not in (static.headers.get("Cache-Control") or "")
    assert "no-store" not in (app.test_client().get("/login").headers.get("Cache-Control") or "")
