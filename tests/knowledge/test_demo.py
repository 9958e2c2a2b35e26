"""The demo seed: a newcomer searching 低保 or 老人 finds the right policy answers at once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from hotline.demo import seed_demo
from hotline.knowledge import search
from hotline.knowledge.models import Article

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)


def test_the_demo_base_answers_the_common_questions(db_session: Any) -> None:
    seed_demo(db_session, NOW)
    articles = db_session.scalars(select(Article)).all()
    assert len(articles) >= 30
    assert all(a.status == "published" and a.source_title for a in articles)

    dibao = [hit.article.question for hit in search.search(db_session, "低保", TODAY, limit=10)]
    assert dibao[0] == "低保（最低生活保障）怎么申请？"
    assert "申请低保需要准备哪些材料？" in dibao
    elderly = [hit.article.question for hit in search.search(db_session, "老人", TODAY, limit=10)]
    assert "独居、空巢老人可以得到哪些上门服务？" in elderly
    assert "老人年纪大了，有高龄津贴吗？" in elderly
    assert search.search(db_session, "心理援助热线", TODAY)[0].article.question.startswith("心情很差")
    assert search.search(db_session, "两项补贴", TODAY)[0].article.question.startswith("残疾人两项补贴")


def test_the_callers_street_gets_its_own_answer_first(db_session: Any) -> None:
    from hotline.directory.models import Area

    seed_demo(db_session, NOW)
    community = db_session.scalar(select(Area).where(Area.code == "120115001001"))
    hits = search.search(db_session, "低保在哪里办理", TODAY, area_id=community.id)
    assert hits[0].article.question == "海滨街道的低保在哪里办理？"
    other = db_session.scalar(select(Area).where(Area.code == "120115002"))
    elsewhere = search.search(db_session, "低保在哪里办理", TODAY, area_id=other.id)
    assert all(hit.article.area_id is None for hit in elsewhere)


def test_seeding_twice_adds_no_article(db_session: Any) -> None:
    seed_demo(db_session, NOW)
    seed_demo(db_session, NOW)
    assert db_session.scalar(select(func.count()).select_from(Article)) == 35
