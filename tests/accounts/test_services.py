"""Password hashing, authentication and tokens."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.accounts import services
from hotline.accounts.exceptions import InvalidRole, UsernameTaken, WeakPassword


def test_passwords_are_hashed_with_argon2(db_session: Any) -> None:
    user = services.create_user(db_session, "alice", "worker", "a-long-password")
    assert user.password_hash.startswith("$argon2id$")
    assert services.authenticate(db_session, "alice", "a-long-password") is user
    assert services.authenticate(db_session, "alice", "wrong-password") is None
    assert services.authenticate(db_session, "nobody", "a-long-password") is None


def test_create_user_refuses_bad_input(db_session: Any) -> None:
    services.create_user(db_session, "bob", "worker", "a-long-password")
    with pytest.raises(UsernameTaken):
        services.create_user(db_session, "bob", "worker", "a-long-password")
    with pytest.raises(InvalidRole):
        services.create_user(db_session, "carol", "boss", "a-long-password")
    with pytest.raises(WeakPassword):
        services.create_user(db_session, "dave", "worker", "short")


def test_inactive_users_cannot_log_in(db_session: Any) -> None:
    user = services.create_user(db_session, "erin", "worker", "a-long-password")
    services.update_user(db_session, user, "worker", False, user.display_name)
    assert services.authenticate(db_session, "erin", "a-long-password") is None


def test_tokens_are_stored_hashed_and_revocable(db_session: Any) -> None:
    user = services.create_user(db_session, "frank", "manager", "a-long-password")
    token = services.issue_token(db_session, user, "script")
    assert user.api_tokens[0].token_hash != token and token not in user.api_tokens[0].token_hash
    assert services.user_for_token(db_session, token) is user
    services.revoke_token(db_session, user, user.api_tokens[0].id)
    assert services.user_for_token(db_session, token) is None
