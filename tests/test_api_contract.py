"""The API keeps to its document: schemathesis against a live server, and the request checks it relies on.

The schemathesis run is the CLI's engine (every phase: examples, coverage with
unsupported methods, fuzzing, stateful) with every check but the two that need a
second identity, a fixed seed and deterministic generation, against a werkzeug
server on a populated database (the demo seed, and for two workers a call, a case
with a referral, a ringing offer), once with a manager's token and once with a
worker's. Path parameters are pinned to real rows (the worker's own call, referral
and offer; the demo's shift and assignment), so object-level paths answer with
real objects, not only 404. Then every object-level GET of the document is asked,
with the worker's token, for the other worker's objects: each is refused and shows
nothing of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
import schemathesis
from flask import Flask
from schemathesis.engine import Status, events
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.accounts.services import hash_password, issue_token
from hotline.cases.models import Case
from hotline.clock import utcnow
from hotline.demo import seed_demo
from hotline.escalation.models import Escalation, Referral
from hotline.extensions import db
from hotline.privacy import phone_lookup_hash
from hotline.rota.models import ShiftAssignment
from hotline.routing.models import Offer, RoutingEntry
from hotline.telephony.models import Call
from tests.conftest import TEST_PASSWORD, LiveServer, csrf_token, log_in, truncate_all

MAX_EXAMPLES = 10
SEED = 20260302


@dataclass
class Populated:
    """The live server, the tokens, and the ids schemathesis pins path parameters to."""

    server: LiveServer
    tokens: dict[str, str]
    parameters: dict[str, dict[str, Any]]
    others: dict[str, Any]


OTHER_SECRET = "别的社工的来电-secret"


def own_objects(session: Any, worker: User, number: int, secret: str) -> dict[str, Any]:
    """Give a worker a call they answered, a case with a referral to them, and a call ringing for them."""
    phone = f"+86139000000{number:02d}"
    case = Case(reference=f"HL-ST-{number}", caller_name=secret, summary=secret, assigned_to_id=worker.id)
    session.add(case)
    session.flush()
    call = Call(
        call_sid=f"CA{number:032d}",
        from_number=phone,
        from_hash=phone_lookup_hash(phone),
        status="completed",
        worker_id=worker.id,
        case_id=case.id,
    )
    ringing = Call(call_sid=f"CA{number + 50:032d}", from_number=phone, status="ringing")
    escalation = Escalation(case_id=case.id, trigger="worker", reason="home_visit", urgency="normal", note=secret)
    escalation.policy = {"name": "p", "steps": []}
    session.add_all([call, ringing, escalation])
    session.flush()
    referral = Referral(
        case_id=case.id,
        escalation_id=escalation.id,
        reason="home_visit",
        status="notified",
        target_kind="user",
        target_id=worker.id,
        target_name=worker.display_name,
        user_id=worker.id,
        note=secret,
        due_at=utcnow() + timedelta(hours=1),
    )
    entry = RoutingEntry(call_id=ringing.id)
    session.add_all([referral, entry])
    session.flush()
    offer = Offer(
        entry_id=entry.id,
        call_id=ringing.id,
        worker_id=worker.id,
        round=1,
        entry_version=1,
        due_at=utcnow() + timedelta(minutes=1),
    )
    session.add(offer)
    session.commit()
    return {"call_sid": call.call_sid, "call_id": call.id, "referral_id": referral.id, "offer_id": offer.id}


@pytest.fixture(scope="module")
def api_server(app: Flask) -> Iterator[Populated]:
    """A live server on the demo district plus two workers' calls and cases, with API tokens; emptied afterwards."""
    truncate_all(app)
    tokens = {}
    with app.app_context():
        session = db.session
        seed_demo(session)
        users = {}
        for role, name in (("manager", "manager"), ("worker", "worker"), ("worker", "other")):
            user = User(username=f"st-{name}", display_name=name, password_hash=hash_password(TEST_PASSWORD), role=role)
            session.add(user)
            session.commit()
            tokens[name] = issue_token(session, user, "schemathesis")
            users[name] = user
        mine = own_objects(session, users["worker"], 1, "本社工的来电")
        others = own_objects(session, users["other"], 2, OTHER_SECRET)
        assignment = session.scalar(select(ShiftAssignment).order_by(ShiftAssignment.id).limit(1))
        rota = {"shift_id": assignment.shift_id, "assignment_id": assignment.id, "user_id": users["worker"].id}
        session.remove()
    server = LiveServer(app).start()
    try:
        yield Populated(server, tokens, {"manager": rota, "worker": {**mine, "user_id": rota["user_id"]}}, others)
    finally:
        server.stop()
        truncate_all(app)


def run_schemathesis(url: str, token: str, parameters: dict[str, Any]) -> tuple[list[str], set[tuple[str, int]]]:
    """Run schemathesis against the document at `url`, path parameters pinned.

    Returns:
        One line per failure or error, and the (method and path, status) of every answer it got.
    """
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": {"Authorization": f"Bearer {token}"},
            "parameters": {f"path.{name}": value for name, value in parameters.items()},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "checks": {"object_level_authorization": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", config=config)
    problems: list[str] = []
    answered: set[tuple[str, int]] = set()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    path = interaction.request.uri.removeprefix(url).split("?")[0]
                    answered.add((f"{interaction.request.method} {path}", interaction.response.status_code))
            for case_checks in event.recorder.checks.values():
                for check in case_checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        problems.append(f"{failure.operation}: {failure.code} {failure.title}: {failure.message}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            problems.append(f"error: {getattr(event, 'label', '')} {getattr(event, 'value', event)}")
    return sorted(set(problems)), answered


@pytest.mark.timeout(600)
@pytest.mark.parametrize("role", ["manager", "worker"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(api_server: Populated, role: str) -> None:
    problems, answered = run_schemathesis(api_server.server.url, api_server.tokens[role], api_server.parameters[role])
    assert problems == []
    if role == "worker":  # the pinned parameters reached real objects
        pinned = api_server.parameters["worker"]
        assert (f"GET /api/v1/calls/{pinned['call_sid']}", 200) in answered
        assert (f"GET /api/v1/referrals/{pinned['referral_id']}", 200) in answered
        assert (f"GET /api/v1/console/calls/{pinned['call_id']}/chat", 200) in answered
    else:
        rota = api_server.parameters["manager"]
        pinned_paths = (f"/rota/shifts/{rota['shift_id']}", f"/rota/assignments/{rota['assignment_id']}")
        assert any(status < 300 and request.endswith(pinned_paths) for request, status in answered)


def test_a_worker_token_reads_no_other_workers_call_case_or_offer(api_server: Populated) -> None:
    """Every object-level GET of the document, asked for the other worker's objects, is refused and shows nothing."""
    url, headers = api_server.server.url, {"Authorization": f"Bearer {api_server.tokens['worker']}"}
    document = requests.get(f"{url}/api/v1/openapi.json", timeout=10).json()
    asked = []
    for path, operations in document["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if "get" not in operations or not names or not set(names) <= set(api_server.others):
            continue
        concrete = re.sub(r"{(\w+)}", lambda match: str(api_server.others[match.group(1)]), path)
        answer = requests.get(f"{url}{concrete}", headers=headers, timeout=10)
        asked.append(path)
        assert answer.status_code in (403, 404), (concrete, answer.status_code)
        assert OTHER_SECRET not in answer.text and api_server.others["call_sid"] not in answer.text, concrete
    assert {
        "/api/v1/calls/{call_sid}",
        "/api/v1/referrals/{referral_id}",
        "/api/v1/console/calls/{call_id}/chat",
    } <= set(asked)
    for listing in ("/api/v1/calls", "/api/v1/referrals"):
        answer = requests.get(f"{url}{listing}", headers=headers, timeout=10)
        assert answer.status_code == 200 and OTHER_SECRET not in answer.text, listing
        assert api_server.others["call_sid"] not in answer.text, listing


def test_an_unknown_body_field_is_refused(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("manager"))
    token = csrf_token(client, "/")
    response = client.post(
        "/api/v1/routing/presence", json={"state": "busy", "mood": "x"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request" and "mood" in error["fields"]["body"]


def test_a_query_parameter_of_the_wrong_type_is_refused(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("manager"))
    for query in ("overdue=maybe", "status=lost"):
        response = client.get(f"/api/v1/referrals?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] == "invalid_request"
    assert client.get("/api/v1/referrals?overdue=true&status=done").status_code == 200


def test_an_integer_beyond_the_columns_is_refused_in_a_body(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("manager"))
    token = csrf_token(client, "/")
    body = {"shift_id": 2**31, "duty": "duty_worker", "user_id": 1}
    response = client.post("/api/v1/rota/assignments", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 400 and "shift_id" in response.get_json()["error"]["fields"]


def test_a_method_not_allowed_names_the_allowed_ones(client: Any) -> None:
    for path in ("/api/v1/me", "/login"):
        response = client.open(path, method="TRACE")
        assert response.status_code == 405
        assert "GET" in response.headers["Allow"]


def test_the_document_lists_the_shared_answers(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    board = document["paths"]["/api/v1/rota/board"]["get"]
    assert {"400", "401", "403"} <= set(board["responses"])
    referral = document["paths"]["/api/v1/referrals/{referral_id}"]["get"]
    assert referral["parameters"][0]["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
