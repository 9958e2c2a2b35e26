"""The API keeps to its document: schemathesis against a live server, and the request checks it relies on.

The schemathesis run is the CLI's engine (every phase: examples, coverage with
unsupported methods, fuzzing, stateful) with every check but the two that need a
second identity, a fixed seed and deterministic generation, against a werkzeug
server on the test database, once with a manager's token and once with a worker's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.engine import Status, events

from hotline.accounts.models import User
from hotline.accounts.services import hash_password, issue_token
from hotline.extensions import db
from tests.conftest import TEST_PASSWORD, LiveServer, csrf_token, log_in, truncate_all

MAX_EXAMPLES = 10
SEED = 20260302


@pytest.fixture(scope="module")
def api_server(app: Flask) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """A live server with a manager and a worker, each with an API token; emptied afterwards."""
    truncate_all(app)
    tokens = {}
    with app.app_context():
        for role in ("manager", "worker"):
            user = User(username=f"st-{role}", display_name=role, password_hash=hash_password(TEST_PASSWORD), role=role)
            db.session.add(user)
            db.session.commit()
            tokens[role] = issue_token(db.session, user, "schemathesis")
            db.session.commit()
        db.session.remove()
    server = LiveServer(app).start()
    try:
        yield server, tokens
    finally:
        server.stop()
        truncate_all(app)


def run_schemathesis(url: str, token: str) -> list[str]:
    """Run schemathesis against the document at `url`; return one line per failure or error."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "checks": {"object_level_authorization": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", config=config)
    problems: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            for case_checks in event.recorder.checks.values():
                for check in case_checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        problems.append(f"{failure.operation}: {failure.code} {failure.title}: {failure.message}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            problems.append(f"error: {getattr(event, 'label', '')} {getattr(event, 'value', event)}")
    return sorted(set(problems))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("role", ["manager", "worker"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    api_server: tuple[LiveServer, dict[str, str]], role: str
) -> None:
    server, tokens = api_server
    assert run_schemathesis(server.url, tokens[role]) == []


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
