"""Accounts: passwords, users, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline import audit
from hotline.accounts import passwords, sessions
from hotline.accounts.exceptions import InvalidRole, UnknownUser, UsernameTaken, WeakPassword
from hotline.accounts.models import ApiToken, User
from hotline.clock import utcnow
from hotline.vocabulary import Role

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
TOKEN_PREFIX = "hl_"
_hasher = PasswordHasher()
# A hash to verify against when the username is unknown, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str, username: str | None = None) -> str:
    """Hash a password with argon2id once the policy (accounts.passwords) accepts it.

    Raises:
        WeakPassword: the policy refuses it; `code` says why.
    """
    problem = passwords.problem(password, username)
    if problem is not None:
        raise WeakPassword(problem)
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the active user with this username and password, else None; rehash old hashes."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.commit()
    return user


def record_log_in(session: Session, username: str, user: User | None) -> None:
    """Audit a log-in attempt with the client's address (never the typed username: it may be a password)."""
    if user is not None:
        audit.record(session, "user.log_in", actor_id=user.id, target=f"user:{user.id}")
    else:
        known = session.scalar(select(User.id).where(User.username == username.strip()))
        audit.record(session, "user.log_in_failed", target=f"user:{known}" if known else None)
    session.commit()


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    phone: str | None = None,
) -> User:
    """Create an account.

    Raises:
        UsernameTaken, InvalidRole, WeakPassword.
    """
    username = username.strip()
    try:
        Role(role)
    except ValueError as exc:
        raise InvalidRole(role) from exc
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(username)
    user = User(
        username=username,
        role=role,
        password_hash=hash_password(password, username),
        display_name=display_name or username,
        phone=phone,
    )
    session.add(user)
    session.commit()
    return user


def update_user(
    session: Session, user: User, role: str, active: bool, display_name: str, actor_id: int | None = None
) -> User:
    """Change a user's role, name or active flag; a role change or deactivation ends their sessions (audited).

    Raises:
        InvalidRole.
    """
    try:
        Role(role)
    except ValueError as exc:
        raise InvalidRole(role) from exc
    if role != user.role or active != user.active:
        sessions.end_all(session, user.id, "role" if role != user.role else "disabled", utcnow(), commit=False)
        revoke_every_token(session, user.id, utcnow())
        audit.record(
            session,
            "user.role_change" if role != user.role else "user.active_change",
            actor_id=actor_id,
            target=f"user:{user.id}",
            detail={"role": [user.role, role], "active": [user.active, active]},
        )
    user.role, user.active, user.display_name = role, active, display_name
    session.commit()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Change a password, end every session of the user and revoke their API tokens (the caller may log in again)."""
    user.password_hash = hash_password(password, user.username)
    sessions.end_all(session, user.id, "password", utcnow(), commit=False)
    revoke_every_token(session, user.id, utcnow())
    session.commit()


def end_every_session(session: Session, user: User, now: datetime) -> int:
    """End every session of `user` and revoke their API tokens ("log out everywhere"); audited."""
    ended = sessions.end_all(session, user.id, "everywhere", now, commit=False)
    revoked = revoke_every_token(session, user.id, now)
    audit.record(
        session,
        "user.sessions_ended",
        actor_id=user.id,
        target=f"user:{user.id}",
        detail={"ended": ended, "tokens_revoked": revoked},
    )
    session.commit()
    return ended


def list_users(session: Session) -> list[User]:
    """Return every account, by role then name."""
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def get_user(session: Session, user_id: int) -> User | None:
    """Return the user with this id, if any."""
    return session.get(User, user_id)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """Return the user's API tokens, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def find_user(session: Session, username: str) -> User:
    """Return the user with this username.

    Raises:
        UnknownUser.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UnknownUser(username)
    return user


def token_digest(token: str) -> str:
    """Return the stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str = "cli") -> str:
    """Create an API token for `user` and return it; only its digest is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name[:200] or "token", prefix=token[:10], token_hash=token_digest(token)))
    session.commit()
    return token


def revoke_token(session: Session, user: User, token_id: int) -> bool:
    """Revoke one of the user's tokens; return whether it existed."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return False
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
    return True


def revoke_every_token(session: Session, user_id: int, now: datetime) -> int:
    """Revoke every live API token of a user (not committed); return how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def live_tokens(session: Session, token_ids: set[int]) -> set[int]:
    """Return which of these tokens are unrevoked and belong to an active account (for open connections)."""
    if not token_ids:
        return set()
    rows = session.scalars(
        select(ApiToken.id)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id.in_(token_ids), ApiToken.revoked_at.is_(None), User.active.is_(True))
    )
    return set(rows)


def token_row(session: Session, token: str) -> ApiToken | None:
    """Return the unrevoked token row of an active user for this token, if any."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    """Return the active user owning an unrevoked token, noting its use."""
    row = use_token(session, token, now)
    return row.user if row is not None else None


def use_token(session: Session, token: str, now: datetime | None = None) -> ApiToken | None:
    """Return the unrevoked token row of an active user for this token, noting its use (every 5 minutes)."""
    row = token_row(session, token)
    if row is None:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now
        session.commit()
    return row
