"""TOTP second factor: enrolment with a QR code, codes checked once, recovery codes.

Required for supervisors, managers and admins when SECOND_FACTOR_REQUIRED is on
(always in production); optional for workers.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.accounts import sessions
from hotline.accounts.models import SecondFactor, User
from hotline.vocabulary import Role

ISSUER = "Hotline"
RECOVERY_CODES = 10


def required(user: User, enforced: bool) -> bool:
    """Return whether `user` must have a second factor (supervisors and above, when enforced)."""
    return enforced and user.has_role(Role.SUPERVISOR)


def of(session: Session, user_id: int) -> SecondFactor | None:
    """Return the user's second factor, if enrolled."""
    return session.scalar(select(SecondFactor).where(SecondFactor.user_id == user_id))


def new_secret() -> str:
    """Return a fresh TOTP secret (base32)."""
    return pyotp.random_base32()


def qr_data_uri(secret: str, username: str) -> str:
    """Return the enrolment QR code as an SVG data URI (no inline script or style needed)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5)


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def _step(secret: str, code: str, now: datetime) -> int | None:
    """Return the time step `code` belongs to (now, or one step either side), else None."""
    totp = pyotp.TOTP(secret)
    code = code.strip().replace(" ", "")
    for offset in (0, -1, 1):
        moment = now.timestamp() + offset * totp.interval
        if secrets.compare_digest(totp.at(moment), code):
            return int(moment // totp.interval)
    return None


def enrol(session: Session, user: User, secret: str, code: str, now: datetime) -> list[str] | None:
    """Save the second factor once `code` proves the app holds `secret`; return the recovery codes, else None."""
    step = _step(secret, code, now)
    if step is None:
        return None
    factor = of(session, user.id) or SecondFactor(user_id=user.id, secret=secret)
    factor.secret, factor.last_step = secret, step
    codes = _fresh_codes(factor)
    session.add(factor)
    session.commit()
    return codes


def verify(session: Session, user: User, code: str, now: datetime) -> bool:
    """Accept a current TOTP code (each once) or an unused recovery code (then spent)."""
    factor = of(session, user.id)
    if factor is None or not code.strip():
        return False
    step = _step(factor.secret, code, now)
    if step is not None and (factor.last_step is None or step > factor.last_step):
        factor.last_step = step
        session.commit()
        return True
    digest = _digest(code)
    if digest in factor.recovery_hashes:
        factor.recovery_hashes = [kept for kept in factor.recovery_hashes if kept != digest]
        session.commit()
        return True
    return False


def renew_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes; return the new ones (shown once)."""
    factor = of(session, user.id)
    if factor is None:
        return []
    codes = _fresh_codes(factor)
    session.commit()
    return codes


def remove(session: Session, user: User) -> None:
    """Remove the user's second factor."""
    factor = of(session, user.id)
    if factor is not None:
        session.delete(factor)
        session.commit()


def reset(session: Session, user: User, actor: User, now: datetime) -> bool:
    """Reset a user's second factor for an admin: remove it and end the user's sessions (audited).

    The user sets up a new one at their next log-in (supervisors and above) or may turn it
    on again on the profile page (workers). Returns whether they had one.
    """
    factor = of(session, user.id)
    if factor is not None:
        session.delete(factor)
    ended = sessions.end_all(session, user.id, "second_factor_reset", now, commit=False)
    entry = audit.record(
        session,
        "user.second_factor_reset",
        actor_id=actor.id,
        target=f"user:{user.id}",
        detail={"had_one": factor is not None, "sessions_ended": ended},
    )
    entry.at = now
    session.commit()
    return factor is not None


def _fresh_codes(factor: SecondFactor) -> list[str]:
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    factor.recovery_hashes = [_digest(code) for code in codes]
    return codes
