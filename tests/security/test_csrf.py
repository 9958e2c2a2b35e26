"""CSRF is required for every cookie-authenticated write, whatever other headers come; a request
that a valid API token alone authenticates needs none."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from hotline.accounts import services
from tests.conftest import csrf_token, log_in

WRITE = ("/api/v1/routing/presence", {"state": "break"})


def test_a_cookie_write_with_a_junk_bearer_and_no_csrf_token_is_refused(client: FlaskClient, make_user: Any) -> None:
    log_in(client, make_user("worker"))
    path, body = WRITE
    for header in ("Bearer junk", "Bearer ", "bearer hl_not-a-token", "Basic dXNlcjpwdw=="):
        answer = client.post(path, json=body, headers={"Authorization": header})
        assert answer.status_code == 400, (header, answer.status_code)


def test_a_cookie_write_with_its_csrf_token_is_accepted(client: FlaskClient, make_user: Any) -> None:
    log_in(client, make_user("worker"))
    path, body = WRITE
    token = csrf_token(client, "/")
    answer = client.post(path, json=body, headers={"X-CSRFToken": token, "Authorization": "Bearer junk"})
    assert answer.status_code == 200


def test_a_bearer_only_write_needs_no_csrf_token(app: Flask, make_user: Any, db_session: Any) -> None:
    token = services.issue_token(db_session, make_user("worker"), "script")
    path, body = WRITE
    answer = app.test_client().post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


def test_a_junk_bearer_alone_is_not_authenticated(app: Flask) -> None:
    path, body = WRITE
    answer = app.test_client().post(path, json=body, headers={"Authorization": "Bearer junk"})
    assert answer.status_code == 401
