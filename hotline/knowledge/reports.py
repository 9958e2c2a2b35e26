"""The knowledge base's report: articles used on calls, questions with no article, articles due for review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.clock import hotline_zone
from hotline.knowledge import review
from hotline.knowledge.models import Article, ArticleUse, UnansweredQuestion


@dataclass
class KnowledgeReport:
    """What the managers' page lists for a period."""

    used: list[tuple[Article, int]]
    gaps: list[tuple[str, int, datetime]]
    stale: list[Article]
    total_uses: int
    total_gaps: int


def report(session: Session, start: date, end: date, today: date, verify_months: int) -> KnowledgeReport:
    """Return the uses and gaps between `start` and `end` (local days, inclusive) and the stale articles now."""
    zone = hotline_zone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    uses = func.count(ArticleUse.id).label("uses")
    used_rows: Any = session.execute(
        select(Article, uses)
        .join(ArticleUse, ArticleUse.article_id == Article.id)
        .where(ArticleUse.used_at >= since, ArticleUse.used_at < until)
        .group_by(Article.id)
        .order_by(uses.desc(), Article.id)
    )
    used = [(article, count) for article, count in used_rows]
    asked = func.count(UnansweredQuestion.id).label("asked")
    gap_rows: Any = session.execute(
        select(
            UnansweredQuestion.question_hash,
            asked,
            func.max(UnansweredQuestion.asked_at),
            func.min(UnansweredQuestion.id),
        )
        .where(
            UnansweredQuestion.asked_at >= since,
            UnansweredQuestion.asked_at < until,
            UnansweredQuestion.answered_by_id.is_(None),
        )
        .group_by(UnansweredQuestion.question_hash)
    )
    # The questions are encrypted: grouped by their keyed hash, each group's text read from one of its rows.
    counted = [(count, last, first_id) for _hash, count, last, first_id in gap_rows]
    rows = session.execute(
        select(UnansweredQuestion.id, UnansweredQuestion.question).where(
            UnansweredQuestion.id.in_([first_id for _count, _last, first_id in counted])
        )
    )
    texts = {gap_id: question for gap_id, question in rows}
    gaps = sorted(
        ((texts[first_id], count, last) for count, last, first_id in counted), key=lambda gap: (-gap[1], gap[0])
    )
    return KnowledgeReport(
        used=used,
        gaps=gaps,
        stale=review.stale_articles(session, today, verify_months),
        total_uses=sum(count for _article, count in used),
        total_gaps=sum(count for _question, count, _last in gaps),
    )
