"""The knowledge panel in Chromium, beside a live call's intake: suggestions, a search for 低保 with the
word marked, the article opened in place, "answered from this article" recorded with the call and cited
in the intake, and "no article found" recorded as a gap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.knowledge.models import ArticleUse, UnansweredQuestion
from hotline.routing import services as routing
from tests.conftest import TEST_PASSWORD
from tests.knowledge.conftest import publish_one
from tests.routing.conftest import put_on_duty, queue_call, set_available
from tests.support.browser import browser_page, log_in, needs_chromium

pytestmark = needs_chromium


@pytest.fixture
def live_call(app: Flask, live_server: Any, recording_provider: Any) -> Iterator[tuple[str, int]]:
    """A worker on a call the live server knows (committed), and three published articles."""
    from hotline.accounts.models import Certification, User
    from hotline.accounts.services import hash_password

    with app.app_context():
        session = db.session
        worker = User(username="panel-worker", display_name="李娜", password_hash=hash_password(TEST_PASSWORD))
        worker.role = "worker"
        now = utcnow()
        worker.certifications.append(
            Certification(
                level="intermediate",
                number="K001",
                issuing_body="民政局",
                valid_until=(now + timedelta(days=365)).date(),
            )
        )
        session.add(worker)
        session.commit()
        put_on_duty(session, [worker], now=now)
        set_available(session, worker, now - timedelta(minutes=5), now=now)
        call = queue_call(session, queued_at=now - timedelta(seconds=30), service="info")
        (offer,) = routing.call_queued(session, call.id, now)
        routing.accept_offer(session, offer.id, worker.id, now, recording_provider)
        publish_one(
            session,
            "低保（最低生活保障）怎么申请？",
            "向户籍所在地的街道办事处或乡镇人民政府提出书面申请。",
            source_number="国务院令第649号",
        )
        publish_one(session, "申请低保需要准备哪些材料？", "身份证、户口簿、家庭收入和财产情况的说明。")
        publish_one(session, "独居老人有哪些上门服务？", "社区可以安排定期探访。", services=["resources"])
        call_id = call.id
        session.remove()
    yield live_server.url, call_id


def test_a_worker_searches_reads_and_answers_from_an_article(app: Flask, live_call: tuple[str, int]) -> None:
    from playwright.sync_api import expect

    base, call_id = live_call
    with browser_page() as page:
        log_in(page, base, "panel-worker")
        page.goto(f"{base}/console/calls/{call_id}")
        panel = page.locator("#knowledge-panel")
        expect(panel.locator("#knowledge-results")).to_contain_text("本次来电的推荐条目")
        expect(panel.locator(".knowledge-hit")).to_have_count(2)  # the call's service: info

        page.fill("#knowledge-q", "低保")
        expect(panel.locator("#knowledge-results")).to_contain_text("检索结果")
        expect(panel.locator(".knowledge-hit mark").first).to_have_text("低保")
        panel.locator(".knowledge-open", has_text="怎么申请").click()
        article = panel.locator("#knowledge-article")
        expect(article).to_be_visible()
        expect(article).to_contain_text("国务院令第649号")

        article.locator('[data-action="use"]').click()
        expect(panel.locator("#knowledge-status")).to_have_text("已记录：按此条目答复")
        expect(page.locator("#actions_taken")).to_have_value(
            "已按知识库条目答复：低保（最低生活保障）怎么申请？（依据：《社会救助暂行办法》 国务院令第649号）"
        )
        expect(page.locator("#draft-status")).to_contain_text("草稿已保存")

        page.fill("#knowledge-q", "廉租房")
        expect(panel.locator("#knowledge-results")).to_contain_text("没有找到条目")
        panel.locator('[data-action="gap"]').click()
        expect(panel.locator("#knowledge-status")).to_have_text("已记录：此问题暂无条目")

    with app.app_context():
        use = db.session.scalar(select(ArticleUse))
        gap = db.session.scalar(select(UnansweredQuestion))
        assert use is not None and use.call_id == call_id and use.query == "低保"
        assert gap is not None and (gap.question, gap.call_id, gap.service) == ("廉租房", call_id, "info")
        db.session.remove()
