"""A dump of the database after a whole flow holds none of the personal strings typed into it.

The flow goes over HTTP like the demo: a call is answered, the intake names the
caller, a note, a follow-up and a break-glass reason are written, the case is
escalated with a note, the responder accepts and reports an outcome from the
link; the worker searches the knowledge base and records an unanswered question,
both naming the caller. Staff, duty and volunteer phone numbers are set. The data is committed for
real, so pg_dump (another process) sees it; on SQLite the dump is iterdump.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import inspect, select, text

from hotline.cases.models import Case
from hotline.escalation.models import Referral
from hotline.escalation.notifications import link_token
from hotline.extensions import db
from hotline.telephony.models import Call
from tests.conftest import csrf_token, log_in, truncate_all
from tests.escalation.conftest import NOW, build_network
from tests.escalation.test_durable import plain_user_factory
from tests.knowledge.conftest import publish_one

CALLER_NAME = "Qiu Xiaofeng 邱晓峰"
CALLER_NUMBER = "+8613977771234"
TYPED_CALLER_NUMBER = "139.7777.1234"
STAFF_PHONE = "+8613766668888"
VOLUNTEER_PHONE = "+8613655553333"
DUTY_PHONE = "+8613544442222"
SUMMARY = "summary-marker-A1 邱晓峰住在锦绣花园七栋"
ACTIONS = "actions-marker-B2 联系了他的女儿"
NOTE = "note-marker-C3 邻居电话 13855556666"
FOLLOW_UP = "followup-marker-G7 明天再打"
BREAK_GLASS = "breakglass-marker-H8 他的母亲来电"
ESCALATION_NOTE = "escalation-marker-D4 请今天上门"
ANSWER_NOTE = "answer-marker-E5 马上出发"
OUTCOME_NOTE = "outcome-marker-F6 已探访老人安好"
KNOWLEDGE_QUERY = "search-marker-J9 邱晓峰低保怎么申请"
KNOWLEDGE_GAP = "gap-marker-K10 邱晓峰的房子被收走怎么办"
SECRETS = [
    "Qiu Xiaofeng",
    "邱晓峰",
    "13977771234",
    "13766668888",
    "13655553333",
    "13544442222",
    "13855556666",
    "marker-A1",
    "marker-B2",
    "marker-C3",
    "marker-D4",
    "marker-E5",
    "marker-F6",
    "marker-G7",
    "marker-H8",
    "marker-J9",
    "marker-K10",
    "锦绣花园",
    "女儿",
]


@pytest.fixture
def committed(app: Flask) -> Iterator[Any]:
    """A session whose work is really committed (pg_dump must see it); emptied afterwards."""
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            truncate_all(app)


def dump(app: Flask) -> str:
    """Return the whole database as text: iterdump on SQLite, pg_dump (or every text column) on PostgreSQL."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            raw = engine.raw_connection()
            try:
                return "\n".join(raw.driver_connection.iterdump())
            finally:
                raw.close()
        url = engine.url
        if shutil.which("pg_dump"):
            command = ["pg_dump", "--data-only", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
            command += ["-U", url.username or "postgres", url.database or ""]
            return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout
        return every_text_column(engine)


def every_text_column(engine: Any) -> str:
    """Return every value of every text or JSON column of every table."""
    lines = []
    with engine.connect() as connection:
        inspector = inspect(connection)
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                if re.search(r"CHAR|TEXT|JSON", str(column["type"]).upper()):
                    query = text(f'SELECT CAST("{column["name"]}" AS TEXT) FROM "{table}"')
                    lines += [str(value) for (value,) in connection.execute(query)]
    return "\n".join(lines)


def post(client: Any, path: str, data: dict[str, Any], page: str | None = None) -> Any:
    """Post a form with the CSRF token of the page it is on."""
    response = client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)})
    assert response.status_code in (200, 302), (path, response.status_code)
    return response


def run_the_flow(app: Flask, session: Any) -> None:
    """Answer a call, record it, write on the case, escalate it and close the referral from the link."""
    network = build_network(session, plain_user_factory(session))
    network.worker.phone = STAFF_PHONE
    network.lawyer.phone = VOLUNTEER_PHONE
    network.room.duty_contact_phone = DUTY_PHONE
    call = Call(
        call_sid="CA" + "d" * 32,
        from_number=CALLER_NUMBER,
        status="in-progress",
        worker_id=network.worker.id,
        queued_at=NOW,
        answered_at=NOW,
        created_at=NOW,
    )
    session.add(call)
    session.commit()
    article = publish_one(session, "低保怎么申请", "到街道办申请。")
    call_id, worker, community = call.id, network.worker, network.community.id
    other = plain_user_factory(session)("worker")

    client = log_in(app.test_client(), worker)
    other_client = log_in(app.test_client(), other)
    session.commit()  # log_in starts server-side sessions in this session
    intake = {
        "call_type": "content",
        "caller_name": CALLER_NAME,
        "caller_phone": TYPED_CALLER_NUMBER,
        "consent_callback": "y",
        "consent_share": "y",
        "gender": "male",
        "age_group": "60_79",
        "area_id": str(community),
        "services": ["emotional"],
        "target_groups": ["elderly_alone"],
        "risk": "low",
        "summary": SUMMARY,
        "actions_taken": ACTIONS,
        "outcome": "resolved",
    }
    post(client, f"/console/calls/{call_id}/intake", intake, f"/console/calls/{call_id}")
    session.commit()  # end the session's snapshot: the requests committed in their own
    case_id = session.scalar(select(Call.case_id).where(Call.id == call_id))
    assert case_id and session.get(Case, case_id).summary == SUMMARY
    case_page = f"/cases/{case_id}"
    post(client, f"{case_page}/notes", {"body": NOTE}, case_page)
    follow_up = {"kind": "callback", "due_at": "2026-03-11T10:00", "assignee_id": "", "note": FOLLOW_UP}
    post(client, f"{case_page}/follow-ups", follow_up, case_page)
    escalation = {"reason": "home_visit", "urgency": "normal", "note": ESCALATION_NOTE}
    post(client, f"/escalation/new?case_id={case_id}", escalation)
    post(other_client, f"{case_page}/break-glass", {"reason": BREAK_GLASS}, case_page)
    headers = {"X-CSRFToken": csrf_token(client, case_page)}
    use = {"article_id": article.id, "q": KNOWLEDGE_QUERY, "call_id": call_id}
    assert client.post("/knowledge/panel/uses", json=use, headers=headers).get_json()["recorded"]
    gap = {"question": KNOWLEDGE_GAP, "call_id": call_id}
    assert client.post("/knowledge/panel/gaps", json=gap, headers=headers).get_json()["recorded"]

    session.commit()
    referral_id = session.scalar(select(Referral.id).where(Referral.case_id == case_id).order_by(Referral.id))
    link = f"/r/{link_token(referral_id)}"
    responder = app.test_client()
    post(responder, f"{link}/accept", {"note": ANSWER_NOTE}, link)
    post(responder, f"{link}/done", {"outcome": "resolved", "note": OUTCOME_NOTE}, link)
    session.commit()
    referral = session.get(Referral, referral_id)
    assert referral.outcome_note == OUTCOME_NOTE and referral.note == ESCALATION_NOTE


def test_a_dump_after_the_whole_flow_holds_no_personal_string(app: Flask, committed: Any) -> None:
    with time_machine.travel(NOW, tick=True):
        run_the_flow(app, committed)
    dumped = dump(app)
    assert len(dumped) > 10_000, "the dump holds the flow's rows"
    found = [secret for secret in SECRETS if secret in dumped]
    assert found == [], f"found in the dump: {found}"
