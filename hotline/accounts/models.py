"""People who log in, their certificates, their sessions and their API tokens."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.clock import utcnow
from hotline.db import Base, code, intpk, short_text
from hotline.privacy import EncryptedString
from hotline.vocabulary import CertificationLevel, Role


class User(UserMixin, Base):
    """A person with a log-in: duty worker, supervisor, manager or administrator."""

    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[short_text]
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[code] = mapped_column(index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    email: Mapped[str | None] = mapped_column(String(200))
    skills: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    locale: Mapped[str | None] = mapped_column(String(10))
    notify_channels: Mapped[list[str]] = mapped_column(default=list)
    """How escalations reach this person, in order of preference (sms, wecom, dingtalk, feishu, voice);
    the chat robots are the team's, with this person @-mentioned. Empty: what the urgency picks."""
    feishu_user_id: Mapped[str | None] = mapped_column(String(64))
    """The person's Feishu open_id (ou_…) or user_id, which a Feishu bot's post @-mentions."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    certifications: Mapped[list[Certification]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Certification.valid_until"
    )
    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.created_at"
    )

    @property
    def role_enum(self) -> Role:
        """Return the role as the glossary enum."""
        return Role(self.role)

    @property
    def is_active(self) -> bool:  # Flask-Login
        """Return whether the account may log in."""
        return self.active

    def get_id(self) -> str:
        """Return the identity Flask-Login keeps; the session record (UserSession) decides if it is live."""
        return str(self.id)

    def has_role(self, role: Role | str) -> bool:
        """Return whether the user's role includes `role`."""
        return self.role_enum.includes(Role(role))

    def valid_certification(self, on: date) -> Certification | None:
        """Return the highest certification valid on `on`, if any."""
        valid = [cert for cert in self.certifications if cert.is_valid_on(on)]
        ranks = list(CertificationLevel)
        return max(valid, key=lambda cert: ranks.index(CertificationLevel(cert.level)), default=None)


class Certification(Base):
    """A social-work qualification with its registration period."""

    __tablename__ = "certifications"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    level: Mapped[code]
    number: Mapped[str] = mapped_column(EncryptedString())
    issuing_body: Mapped[short_text]
    registered_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)

    user: Mapped[User] = relationship(back_populates="certifications")

    def is_valid_on(self, on: date) -> bool:
        """Return whether the registration covers `on`."""
        started = self.registered_on is None or self.registered_on <= on
        return started and on <= self.valid_until


class ApiToken(Base):
    """A revocable API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[short_text]
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="api_tokens")


class UserSession(Base):
    """A log-in session, checked on every request; ending it logs that browser out everywhere.

    The cookie carries a random key; only its SHA-256 is stored, so a database read
    gives nobody a session.
    """

    __tablename__ = "user_sessions"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class SecondFactor(Base):
    """A user's TOTP second factor: the shared secret (encrypted) and the recovery codes' hashes."""

    __tablename__ = "second_factors"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(EncryptedString())
    recovery_hashes: Mapped[list[str]] = mapped_column(default=list)
    last_step: Mapped[int | None]
    """The last time step accepted, so a code cannot be used twice."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
