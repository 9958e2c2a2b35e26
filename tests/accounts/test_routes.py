"""Log-in, log-out, rate limiting, tokens and account administration over HTTP."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.conftest import TEST_PASSWORD, csrf_token, log_in


def test_login_page_is_in_chinese_by_default(client: Any) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and 'lang="zh-CN"' in page


def test_login_page_follows_the_language_switch(client: Any) -> None:
    client.get("/lang/en?next=/login")
    page = client.get("/login").get_data(as_text=True)
    assert "Log in" in page and 'lang="en"' in page


def test_logging_in_lands_on_the_role_page(client: Any, make_user: Any) -> None:
    user = make_user("manager", display_name="郑主任")
    token = csrf_token(client)
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "郑主任" in page and "服务网络" in page


def test_wrong_password_shows_an_error_and_keeps_the_username(client: Any, make_user: Any) -> None:
    user = make_user("worker")
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": user.username, "password": "nope-nope-nope", "csrf_token": token}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "用户名或密码错误" in page and f'value="{user.username}"' in page


def test_login_attempts_are_rate_limited(client: Any, make_user: Any) -> None:
    user = make_user("worker")
    token = csrf_token(client)
    statuses = [
        client.post(
            "/login", data={"username": user.username, "password": "wrong-password", "csrf_token": token}
        ).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [422] * 5
    assert statuses[-1] == 429


def test_logout_ends_the_session(client: Any, make_user: Any) -> None:
    log_in(client, make_user("worker"))
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_session_cookie_is_http_only(app: Flask) -> None:
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_api_token_lifecycle(client: Any, make_user: Any, app: Flask) -> None:
    log_in(client, make_user("worker", username="tokenuser"))
    token = csrf_token(client, "/profile")
    page = client.post("/profile/tokens", data={"token-name": "laptop", "csrf_token": token}).get_data(as_text=True)
    secret = page.split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("hl_")
    anonymous = app.test_client()
    me = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["username"] == "tokenuser"
    profile = client.get("/profile").get_data(as_text=True)
    assert "laptop" in profile and secret[:10] in profile and secret not in profile
    token_id = int(profile.split("/profile/tokens/")[1].split("/")[0])
    client.post(f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/profile")})
    assert anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_bad_bearer_token_gets_the_error_shape(app: Flask, db_session: Any) -> None:
    response = app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer hl_forged"})
    assert response.status_code == 401
    assert set(response.get_json()["error"]) == {"code", "message", "fields"}


def test_admin_creates_an_account_and_a_mistake_keeps_the_input(client: Any, login_as: Any) -> None:
    login_as("admin")
    token = csrf_token(client, "/admin/users/new")
    bad = client.post(
        "/admin/users/new",
        data={
            "username": "new worker!",
            "display_name": "李明",
            "role": "worker",
            "password": "short",
            "csrf_token": token,
        },
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'value="李明"' in page and "只能使用字母" in page
    good = client.post(
        "/admin/users/new",
        data={
            "username": "liming",
            "display_name": "李明",
            "role": "worker",
            "password": "long-enough-pw",
            "csrf_token": token,
        },
    )
    assert good.status_code == 302
    assert "liming" in client.get("/admin/users").get_data(as_text=True)


def test_role_change_logs_the_user_out(app: Flask, make_user: Any, login_as: Any, client: Any) -> None:
    worker = make_user("worker")
    worker_client = log_in(app.test_client(), worker)
    assert worker_client.get("/").status_code == 200
    login_as("admin")
    token = csrf_token(client, f"/admin/users/{worker.id}")
    client.post(
        f"/admin/users/{worker.id}",
        data={"display_name": worker.display_name, "role": "supervisor", "active": "y", "csrf_token": token},
    )
    assert worker_client.get("/").status_code == 302
    from sqlalchemy import select

    from hotline.audit import AuditEntry
    from hotline.extensions import db

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.target == f"user:{worker.id}"))
    assert entry.action == "user.role_change" and entry.detail["role"] == ["worker", "supervisor"]
