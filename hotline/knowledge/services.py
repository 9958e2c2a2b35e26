"""Writing the knowledge base: drafts, publication, versions, verification, synonyms, use on calls.

Every change to an article's published content goes through `publish`, which
copies a version into the article and rewrites its index entry in the same
transaction, so search never sees content the article does not hold.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.knowledge import index
from hotline.knowledge.exceptions import ArticleNotFound, NotADraft
from hotline.knowledge.models import (
    CONTENT_FIELDS,
    Article,
    ArticleUse,
    ArticleVersion,
    SynonymGroup,
    UnansweredQuestion,
)
from hotline.privacy import cipher

OPEN_STATES = ("draft", "proposed")


def _dates(content: dict[str, Any]) -> dict[str, Any]:
    """Return content with its validity dates as date objects."""
    values = {name: content.get(name) for name in CONTENT_FIELDS}
    for name in ("valid_from", "valid_until"):
        if isinstance(values[name], str):
            values[name] = date.fromisoformat(values[name]) if values[name] else None
    values["phrasings"] = values["phrasings"] or ""
    values["services"] = list(values["services"] or [])
    values["target_groups"] = list(values["target_groups"] or [])
    return values


def _json(content: dict[str, Any]) -> dict[str, Any]:
    """Return content as JSON-ready values (dates as ISO strings)."""
    values = dict(_dates(content))
    for name in ("valid_from", "valid_until"):
        values[name] = values[name].isoformat() if values[name] else None
    return values


def get_article(session: Session, article_id: int) -> Article:
    """Return the article.

    Raises:
        ArticleNotFound: there is none with this id.
    """
    article = session.get(Article, article_id)
    if article is None:
        raise ArticleNotFound(article_id)
    return article


def open_version(article: Article) -> ArticleVersion | None:
    """Return the article's newest draft or proposal not yet decided, if any."""
    pending = [version for version in article.versions if version.state in OPEN_STATES]
    return pending[-1] if pending else None


def create_article(
    session: Session, content: dict[str, Any], author_id: int | None, now: datetime, origin: str = "staff"
) -> Article:
    """Create an article as a draft (version 1), not yet searchable."""
    article = Article(status="draft", version=0, created_at=now, updated_at=now, **_dates(content))
    article.versions.append(
        ArticleVersion(
            number=1, state="draft", content=_json(content), origin=origin, author_id=author_id, created_at=now
        )
    )
    session.add(article)
    session.flush()
    index.write(session, [article])
    audit.record(session, "knowledge.create", author_id, f"knowledge:{article.id}")
    session.commit()
    return article


def save_draft(
    session: Session,
    article: Article,
    content: dict[str, Any],
    author_id: int | None,
    now: datetime,
    origin: str = "staff",
    proposer: str | None = None,
    note: str = "",
) -> ArticleVersion:
    """Save new content as the article's open draft (a proposal when it comes from a station or organisation).

    An article never published also takes the content itself, so its page shows it.
    """
    state = "draft" if origin in ("staff", "import") else "proposed"
    version = open_version(article)
    if version is None or version.state != state or state == "proposed":
        number = max((v.number for v in article.versions), default=0) + 1
        version = ArticleVersion(number=number, state=state, origin=origin, created_at=now)
        article.versions.append(version)
    version.content = _json(content)
    version.author_id = author_id
    version.proposer = proposer
    version.note = note
    version.created_at = now
    if article.status == "draft" and state == "draft":
        for name, value in _dates(content).items():
            setattr(article, name, value)
        article.updated_at = now
        session.flush()
        index.write(session, [article])
    session.commit()
    return version


def publish(session: Session, article: Article, version: ArticleVersion, by_id: int | None, now: datetime) -> Article:
    """Publish a draft or proposed version: the article takes its content, the version before is superseded.

    Publishing counts as verifying the article.

    Raises:
        NotADraft: the version is not an open draft or proposal of this article.
    """
    if version.article_id != article.id or version.state not in OPEN_STATES:
        raise NotADraft(version.id)
    for earlier in article.versions:
        if earlier.state == "published":
            earlier.state = "superseded"
    for name, value in _dates(version.content).items():
        setattr(article, name, value)
    version.state = "published"
    version.decided_by_id = by_id
    version.decided_at = now
    article.status = "published"
    article.version = version.number
    article.published_at = now
    article.verified_at = now
    article.verified_by_id = by_id
    article.reminded_at = None
    article.updated_at = now
    session.flush()
    index.write(session, [article])
    close_gaps(session, article)
    audit.record(session, "knowledge.publish", by_id, f"knowledge:{article.id}", {"version": version.number})
    session.commit()
    return article


def reject(session: Session, version: ArticleVersion, by_id: int, now: datetime, note: str = "") -> None:
    """Reject a draft or proposal; the article keeps its content.

    Raises:
        NotADraft: the version is not open.
    """
    if version.state not in OPEN_STATES:
        raise NotADraft(version.id)
    version.state = "rejected"
    version.decided_by_id = by_id
    version.decided_at = now
    if note:
        version.note = "\n".join(filter(None, [version.note, note]))
    session.commit()


def verify(session: Session, article: Article, by_id: int | None, now: datetime) -> None:
    """Record that the article was checked against its source and still holds."""
    article.verified_at = now
    article.verified_by_id = by_id
    article.reminded_at = None
    audit.record(session, "knowledge.verify", by_id, f"knowledge:{article.id}")
    session.commit()


def withdraw(session: Session, article: Article, by_id: int, now: datetime) -> None:
    """Take a published article out of search (its versions stay)."""
    article.status = "withdrawn"
    article.updated_at = now
    audit.record(session, "knowledge.withdraw", by_id, f"knowledge:{article.id}")
    session.commit()


def get_version(session: Session, article: Article, number: int) -> ArticleVersion:
    """Return one version of the article.

    Raises:
        ArticleNotFound: it has no version with this number.
    """
    for version in article.versions:
        if version.number == number:
            return version
    raise ArticleNotFound(number)


def list_articles(session: Session, status: str | None = None) -> list[Article]:
    """Return the articles (of one status, or all), the newest changed first."""
    query = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if status:
        query = query.where(Article.status == status)
    return list(session.scalars(query))


def pending_versions(session: Session) -> list[ArticleVersion]:
    """Return every open draft and proposal of an article already published, oldest first."""
    query = (
        select(ArticleVersion)
        .join(Article)
        .where(ArticleVersion.state.in_(OPEN_STATES), Article.status != "draft")
        .order_by(ArticleVersion.created_at)
    )
    return list(session.scalars(query))


def rebuild_index(session: Session) -> int:
    """Rewrite the whole index from the articles (after a restore, or a change of segmentation)."""
    index.clear(session)
    articles = list(session.scalars(select(Article)))
    index.write(session, articles)
    session.commit()
    return len(articles)


# --- synonyms -----------------------------------------------------------------------------------


def list_synonyms(session: Session) -> list[SynonymGroup]:
    """Return the synonym groups in the order they were added."""
    return list(session.scalars(select(SynonymGroup).order_by(SynonymGroup.id)))


def parse_synonyms(value: str) -> list[list[str]]:
    """Parse one group a line, terms separated by =, commas or spaces: 低保 = 最低生活保障."""
    groups = []
    for line in (value or "").splitlines():
        terms = [term for term in line.replace("=", " ").replace(",", " ").replace("，", " ").split() if term]
        terms = list(dict.fromkeys(terms))
        if len(terms) > 1:
            groups.append(terms)
    return groups


def save_synonyms(session: Session, groups: list[list[str]], by_id: int | None, now: datetime) -> None:
    """Replace the synonym groups."""
    for group in list_synonyms(session):
        session.delete(group)
    session.add_all(SynonymGroup(terms=terms, updated_at=now) for terms in groups)
    audit.record(session, "knowledge.synonyms", by_id, "knowledge:synonyms", {"groups": len(groups)})
    session.commit()


# --- use on calls -------------------------------------------------------------------------------


def record_use(
    session: Session, article: Article, worker_id: int, call_id: int | None, query: str | None, now: datetime
) -> ArticleUse:
    """Record that a worker answered a caller from this article (once per call and article)."""
    if call_id is not None:
        existing = session.scalar(
            select(ArticleUse).where(ArticleUse.article_id == article.id, ArticleUse.call_id == call_id)
        )
        if existing is not None:
            return existing
    use = ArticleUse(
        article_id=article.id,
        version=article.version,
        call_id=call_id,
        worker_id=worker_id,
        query=(query or "")[:200] or None,
        used_at=now,
    )
    session.add(use)
    session.commit()
    return use


def record_gap(
    session: Session,
    question: str,
    worker_id: int,
    call_id: int | None,
    area_id: int | None,
    service: str | None,
    now: datetime,
) -> UnansweredQuestion:
    """Record a caller's question no article answered."""
    question = question.strip()[:200]
    gap = UnansweredQuestion(
        question=question,
        question_hash=cipher().lookup_hash(question),
        worker_id=worker_id,
        call_id=call_id,
        area_id=area_id,
        service=service,
        asked_at=now,
    )
    session.add(gap)
    session.commit()
    return gap


def close_gaps(session: Session, article: Article) -> None:
    """Mark the recorded questions this article now answers (its question or a phrasing, word for word)."""
    asked = {article.question.strip(), *(line.strip() for line in (article.phrasings or "").splitlines())}
    hashes = sorted({digest for text in asked - {""} for digest in cipher().lookup_hashes(text)})
    gaps = session.scalars(
        select(UnansweredQuestion).where(
            UnansweredQuestion.answered_by_id.is_(None), UnansweredQuestion.question_hash.in_(hashes)
        )
    )
    for gap in gaps:
        gap.answered_by_id = article.id


def uses_of_call(session: Session, call_id: int) -> list[ArticleUse]:
    """Return the articles a call was answered from."""
    return list(session.scalars(select(ArticleUse).where(ArticleUse.call_id == call_id).order_by(ArticleUse.id)))


def use_counts(session: Session, article_ids: list[int]) -> dict[int, int]:
    """Return how often each article was used on calls."""
    if not article_ids:
        return {}
    rows = session.execute(
        select(ArticleUse.article_id, func.count())
        .where(ArticleUse.article_id.in_(article_ids))
        .group_by(ArticleUse.article_id)
    )
    return {article_id: count for article_id, count in rows}


# --- settings and choices -------------------------------------------------------------------------

REVIEW_KEY = "knowledge.review"
DEFAULT_VERIFY_MONTHS = 12


def verify_months(session: Session) -> int:
    """Return how many months an article may go unverified before it is flagged (the manager's setting)."""
    from hotline.settings import Setting

    setting = session.get(Setting, REVIEW_KEY)
    months = (setting.value or {}).get("verify_months") if setting is not None else None
    return int(months) if isinstance(months, int) and months > 0 else DEFAULT_VERIFY_MONTHS


def save_verify_months(session: Session, months: int, by_id: int) -> None:
    """Set how many months an article may go unverified."""
    from hotline.settings import Setting

    setting = session.get(Setting, REVIEW_KEY) or Setting(key=REVIEW_KEY)
    setting.value = {"verify_months": months}
    setting.updated_by_id = by_id
    session.add(setting)
    audit.record(session, "settings.change", by_id, REVIEW_KEY, {"verify_months": months})
    session.commit()


def area_choices(session: Session) -> list[tuple[str, str]]:
    """Return the district's streets and communities as select choices (value: id)."""
    from hotline.directory.models import Area

    areas = session.scalars(select(Area).where(Area.level.in_(("district", "street", "community"))).order_by(Area.code))
    indent = {"district": "", "street": "— ", "community": "—— "}
    return [(str(area.id), f"{indent.get(area.level, '')}{area.name}") for area in areas]


def owner_choices(session: Session) -> list[tuple[str, str]]:
    """Return the active stations and organisations that may own an article (value: kind:id)."""
    from hotline.directory.models import Organisation, Station

    stations = session.scalars(select(Station).where(Station.active.is_(True)).order_by(Station.name))
    organisations = session.scalars(
        select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
    )
    return [(f"station:{s.id}", s.name) for s in stations] + [(f"organisation:{o.id}", o.name) for o in organisations]


def version_view(session: Session, version: ArticleVersion) -> Any:
    """Return a version's content with the attributes an article page shows (area, owner's name)."""
    from types import SimpleNamespace

    from hotline.directory.models import Area, Organisation, Station

    values = _dates(version.content)
    area = session.get(Area, values["area_id"]) if values["area_id"] else None
    owner = None
    if values["owner_station_id"]:
        owner = session.get(Station, values["owner_station_id"])
    elif values["owner_organisation_id"]:
        owner = session.get(Organisation, values["owner_organisation_id"])
    verified = version.article.verified_at
    return SimpleNamespace(**values, area=area, owner_name=owner.name if owner else "", verified_at=verified)


def area_id_by_code(session: Session, code: str) -> int | None:
    """Return the id of the area with this official code, if any."""
    from hotline.directory.models import Area

    return session.scalar(select(Area.id).where(Area.code == code))
