"""The knowledge base: policy answers with their versions, synonyms, and how they were used on calls.

The full-text index (table `knowledge_fts`) is not mapped: it is an FTS5 virtual
table on SQLite and a tsvector table on PostgreSQL, written by `index.py` and
created by the migration (hotline.db.UNMAPPED_TABLES keeps Alembic off it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.clock import utcnow
from hotline.db import Base, code, intpk
from hotline.directory.models import Area, Organisation, Station
from hotline.privacy import LOOKUP_HASH, EncryptedString

CONTENT_FIELDS = (
    "question",
    "phrasings",
    "answer",
    "services",
    "target_groups",
    "area_id",
    "source_title",
    "source_number",
    "source_issuer",
    "source_url",
    "valid_from",
    "valid_until",
    "owner_station_id",
    "owner_organisation_id",
)
"""The fields a version holds; the rest of an article is its life (status, verification, reminders)."""


class Article(Base):
    """A policy answer as published (or, before its first publication, as drafted)."""

    __tablename__ = "knowledge_articles"

    id: Mapped[intpk]
    status: Mapped[code] = mapped_column(default="draft", index=True)
    """draft (never published), published or withdrawn."""
    version: Mapped[int] = mapped_column(Integer, default=0)
    """The number of the published version; 0 before the first publication."""
    question: Mapped[str] = mapped_column(String(300))
    phrasings: Mapped[str] = mapped_column(Text, default="")
    """Other ways callers ask the question, one per line."""
    answer: Mapped[str] = mapped_column(Text)
    services: Mapped[list[str]] = mapped_column(default=list)
    target_groups: Mapped[list[str]] = mapped_column(default=list)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    """Where the answer applies: None for the whole district, else a street or community."""
    source_title: Mapped[str] = mapped_column(String(300), default="")
    source_number: Mapped[str | None] = mapped_column(String(100))
    source_issuer: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(500))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    owner_station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    owner_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    """When the owner was last reminded that the article is due for review."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area | None] = relationship()
    owner_station: Mapped[Station | None] = relationship()
    owner_organisation: Mapped[Organisation | None] = relationship()
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.number", cascade="all, delete-orphan"
    )

    def content(self) -> dict[str, Any]:
        """Return the article's content fields as JSON-ready values."""
        values: dict[str, Any] = {name: getattr(self, name) for name in CONTENT_FIELDS}
        for name in ("valid_from", "valid_until"):
            values[name] = values[name].isoformat() if values[name] else None
        return values

    @property
    def owner_name(self) -> str:
        """Return the owning station's or organisation's name, or an empty string."""
        owner = self.owner_station or self.owner_organisation
        return owner.name if owner else ""


class ArticleVersion(Base):
    """One version of an article's content: drafted, proposed, published, superseded or rejected."""

    __tablename__ = "knowledge_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[code] = mapped_column(index=True)
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    origin: Mapped[code] = mapped_column(default="staff")
    """staff, station, organisation or import."""
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposer: Mapped[str | None] = mapped_column(String(200))
    """Who proposed it through a signed link: the station or organisation, and the person."""
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]

    article: Mapped[Article] = relationship(back_populates="versions")


class SynonymGroup(Base):
    """Terms a search treats as one (低保 = 最低生活保障 = 低保户), edited by managers."""

    __tablename__ = "knowledge_synonyms"

    id: Mapped[intpk]
    terms: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleUse(Base):
    """A duty worker answered a caller from an article (recorded with the call's intake)."""

    __tablename__ = "knowledge_uses"

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    query: Mapped[str | None] = mapped_column(EncryptedString())
    """What the worker searched for (it can hold what the caller said): encrypted."""
    used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class UnansweredQuestion(Base):
    """A caller's question the knowledge base had no article for: a gap to write."""

    __tablename__ = "knowledge_gaps"

    id: Mapped[intpk]
    question: Mapped[str] = mapped_column(EncryptedString(), info={"lookup_hash": "question_hash"})
    """The caller's question as the worker wrote it (up to 200 characters): encrypted."""
    question_hash: Mapped[str | None] = mapped_column(LOOKUP_HASH, index=True)
    """Keyed hash of the question, to count the same question asked again and to close it by an article."""
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    service: Mapped[str | None] = mapped_column(String(40))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="SET NULL"))
    """The article later written for it, which closes the gap."""


Index("ix_knowledge_articles_valid_until", Article.valid_until)
