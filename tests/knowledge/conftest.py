"""Knowledge fixtures: published articles, areas of a district with its streets and communities."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from hotline.clock import utcnow
from hotline.directory.models import Area
from hotline.knowledge import services
from hotline.knowledge.models import Article
from tests.console.conftest import accepted_call, on_duty_worker, recording_provider  # noqa: F401  (the console's)

TODAY = date(2026, 12, 2)


@pytest.fixture
def areas(db_session: Any) -> dict[str, Area]:
    """A district with two streets, the first with a community."""
    district = Area(code="120115", name="宝坻区", level="district")
    street = Area(code="120115001", name="海滨街道", level="street", parent=district)
    other = Area(code="120115002", name="宝平街道", level="street", parent=district)
    community = Area(code="120115001001", name="示例社区", level="community", parent=street, invented=True)
    db_session.add_all([district, street, other, community])
    db_session.commit()
    return {"district": district, "street": street, "other": other, "community": community}


@pytest.fixture
def make_article(db_session: Any, make_user: Callable[..., Any]) -> Callable[..., Article]:
    """Build a published article: make_article("question", "answer", area=…, services=[…], publish=True)."""
    supervisor = make_user("supervisor")

    def build(question: str, answer: str, publish: bool = True, **fields: Any) -> Article:
        area = fields.pop("area", None)
        content = {
            "question": question,
            "answer": answer,
            "services": fields.pop("services", ["info"]),
            "source_title": fields.pop("source_title", "《社会救助暂行办法》"),
            "area_id": area.id if area is not None else None,
            **fields,
        }
        article = services.create_article(db_session, content, supervisor.id, utcnow())
        if publish:
            services.publish(db_session, article, article.versions[-1], supervisor.id, utcnow())
        return article

    return build


def publish_one(session: Any, question: str, answer: str, **fields: Any) -> Article:
    """Create and publish an article without a user (as an import does)."""
    content = {"question": question, "answer": answer, "source_title": "《社会救助暂行办法》", "services": ["info"]}
    content.update(fields)
    article = services.create_article(session, content, None, utcnow())
    return services.publish(session, article, article.versions[-1], None, utcnow())
