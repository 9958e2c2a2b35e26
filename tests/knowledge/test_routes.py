"""Knowledge pages and API: who may do what, forms that keep their input, publishing, the JSON search."""

from __future__ import annotations

from typing import Any

from hotline.knowledge.models import Article, ArticleUse, UnansweredQuestion
from tests.conftest import csrf_token


def form_data(**fields: Any) -> dict[str, Any]:
    data = {
        "question": "低保怎么申请",
        "phrasings": "怎么办低保\n低保去哪里申请",
        "answer": "向户籍所在地街道（乡镇）提出书面申请。",
        "services": ["info"],
        "target_groups": ["dibao"],
        "area_id": "",
        "source_title": "《社会救助暂行办法》",
        "source_number": "国务院令第649号",
        "source_issuer": "国务院",
        "source_url": "",
        "valid_from": "",
        "valid_until": "",
        "owner": "",
        "note": "",
    }
    data.update(fields)
    return data


def test_workers_search_and_read_but_do_not_write(login_as: Any, make_article: Any) -> None:
    make_article("低保怎么申请", "向街道提出申请。")
    client = login_as("worker")
    page = client.get("/knowledge?q=低保")
    assert page.status_code == 200
    assert "<mark>低保</mark>怎么申请" in page.get_data(as_text=True)
    assert client.get("/knowledge/manage").status_code == 403
    assert client.get("/knowledge/manage/new").status_code == 403
    assert client.get("/knowledge/synonyms").status_code == 403


def test_a_supervisor_writes_a_draft_then_publishes_it(login_as: Any, db_session: Any) -> None:
    client = login_as("supervisor")
    token = csrf_token(client, "/knowledge/manage/new")
    saved = client.post("/knowledge/manage/new", data=form_data(csrf_token=token))
    assert saved.status_code == 302
    article = db_session.query(Article).one()
    assert article.status == "draft"
    assert client.get("/knowledge?q=低保").get_data(as_text=True).count("knowledge-hit") == 0

    page = client.get(f"/knowledge/articles/{article.id}")
    assert "国务院令第649号" in page.get_data(as_text=True)
    published = client.post(f"/knowledge/manage/{article.id}/versions/1/publish", data={"csrf_token": token})
    assert published.status_code == 302
    db_session.refresh(article)
    assert (article.status, article.version) == ("published", 1)
    assert "knowledge-hit" in client.get("/knowledge?q=低保").get_data(as_text=True)


def test_the_form_keeps_its_input_on_error(login_as: Any) -> None:
    client = login_as("supervisor")
    token = csrf_token(client, "/knowledge/manage/new")
    page = client.post(
        "/knowledge/manage/new",
        data=form_data(csrf_token=token, source_title="", valid_from="2026-05-01", valid_until="2026-01-01"),
    )
    assert page.status_code == 422
    body = page.get_data(as_text=True)
    assert "怎么办低保" in body and "向户籍所在地街道" in body
    assert 'value="2026-05-01"' in body


def test_posts_without_the_csrf_token_are_refused(login_as: Any, make_article: Any) -> None:
    article = make_article("低保怎么申请", "向街道提出申请。")
    client = login_as("supervisor")
    assert client.post(f"/knowledge/manage/{article.id}/withdraw").status_code == 400
    assert client.post("/knowledge/manage/new", data=form_data()).status_code in (400, 422)


def test_a_manager_edits_synonyms_that_search_then_uses(login_as: Any, make_article: Any) -> None:
    make_article("最低生活保障怎么申请", "向街道提出申请。")
    client = login_as("manager")
    token = csrf_token(client, "/knowledge/synonyms")
    saved = client.post("/knowledge/synonyms", data={"csrf_token": token, "groups": "低保 = 最低生活保障\n单独"})
    assert saved.status_code == 302
    assert "低保 = 最低生活保障" in client.get("/knowledge/synonyms").get_data(as_text=True)
    found = client.get("/api/v1/knowledge?q=低保").get_json()
    assert [a["question"] for a in found["articles"]] == ["最低生活保障怎么申请"]


def test_the_api_returns_ranked_articles_with_their_source(login_as: Any, make_article: Any, areas: Any) -> None:
    make_article("高龄津贴怎么领", "年满八十周岁可以申请。", source_number="津民发")
    make_article("高龄津贴怎么领", "本街道的办理地点在街道便民服务中心。", area=areas["street"])
    make_article("高龄津贴怎么领", "另一个街道的地点。", area=areas["other"])
    client = login_as("worker")
    body = client.get(f"/api/v1/knowledge?q=高龄津贴&area={areas['community'].code}&service=info").get_json()
    assert [item["area"] and item["area"]["code"] for item in body["articles"]] == [areas["street"].code, None]
    first = body["articles"][0]
    assert first["source"]["title"] == "《社会救助暂行办法》" and "高龄" in first["matched"]
    assert set(first) >= {"id", "question", "excerpt", "valid_until", "url"}


def test_the_api_refuses_bad_parameters_and_strangers(app: Any, login_as: Any, db_session: Any) -> None:
    assert app.test_client().get("/api/v1/knowledge?q=低保").status_code == 401
    client = login_as("worker")
    for query in ("service=nothing", "limit=0", "limit=x", "q=" + "低" * 201):
        response = client.get(f"/api/v1/knowledge?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] in ("invalid_parameter", "invalid_request")
    unknown_area = client.get("/api/v1/knowledge?area=999999999999")
    assert unknown_area.status_code == 404 and unknown_area.get_json()["error"]["code"] == "unknown_area"


def test_the_api_is_in_the_openapi_document(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/knowledge"]["get"]
    assert set(operation["responses"]) == {"200", "400", "401", "404"}


def test_the_panel_records_a_use_and_a_gap_with_the_call(accepted_call: Any, db_session: Any, app: Any) -> None:
    from tests.conftest import log_in
    from tests.knowledge.conftest import publish_one

    worker, call = accepted_call
    article = publish_one(db_session, "低保怎么申请", "向街道提出申请。")
    client = log_in(app.test_client(), worker)
    token = csrf_token(client, f"/console/calls/{call.id}")
    assert 'id="knowledge-panel"' in client.get(f"/console/calls/{call.id}").get_data(as_text=True)
    results = client.get(f"/knowledge/panel/results?q=低保&call_id={call.id}").get_data(as_text=True)
    assert f'data-article-id="{article.id}"' in results
    shown = client.get(f"/knowledge/panel/articles/{article.id}?q=低保").get_data(as_text=True)
    assert "按此条目答复" in shown
    headers = {"X-CSRFToken": token}
    used = client.post("/knowledge/panel/uses", json={"article_id": article.id, "call_id": call.id}, headers=headers)
    assert used.status_code == 200
    gap = client.post("/knowledge/panel/gaps", json={"question": "怎么申请廉租房", "call_id": call.id}, headers=headers)
    assert gap.status_code == 200
    assert db_session.query(ArticleUse).one().call_id == call.id
    assert db_session.query(UnansweredQuestion).one().question == "怎么申请廉租房"
    assert client.post("/knowledge/panel/uses", json={"article_id": article.id}).status_code == 400


def test_the_report_counts_uses_gaps_and_stale_articles(login_as: Any, make_article: Any, db_session: Any) -> None:
    from datetime import timedelta

    from hotline.clock import utcnow
    from hotline.knowledge import services

    article = make_article("低保怎么申请", "向街道提出申请。")
    old = make_article("过期的条目", "旧答复。", valid_until="2020-01-01")
    worker = login_as("manager")
    manager_id = old.verified_by_id
    services.record_use(db_session, article, manager_id, None, "低保", utcnow())
    services.record_gap(db_session, "廉租房怎么申请", manager_id, None, None, None, utcnow())
    services.record_gap(db_session, "廉租房怎么申请", manager_id, None, None, None, utcnow() - timedelta(days=1))
    body = worker.get("/knowledge/report").get_data(as_text=True)
    assert "低保怎么申请" in body and "廉租房怎么申请" in body and "过期的条目" in body
    assert "暂无条目的问题（2）" in body  # two gaps, in full-width brackets
    assert worker.get("/knowledge/report?from=x").status_code == 400


def test_publishing_an_article_for_a_recorded_question_closes_the_gap(login_as: Any, db_session: Any) -> None:
    from hotline.clock import utcnow
    from hotline.knowledge import services

    client = login_as("supervisor")
    gap = services.record_gap(db_session, "廉租房怎么申请", client_user_id(db_session), None, None, None, utcnow())
    page = client.get("/knowledge/manage/new?question=廉租房怎么申请")
    assert 'value="廉租房怎么申请"' in page.get_data(as_text=True)
    token = csrf_token(client, "/knowledge/manage/new")
    client.post(
        "/knowledge/manage/new", data=form_data(csrf_token=token, question="公租房申请条件", phrasings="廉租房怎么申请")
    )
    article = db_session.query(Article).one()
    client.post(f"/knowledge/manage/{article.id}/versions/1/publish", data={"csrf_token": token})
    db_session.refresh(gap)
    assert gap.answered_by_id == article.id


def client_user_id(session: Any) -> int:
    from hotline.accounts.models import User

    return session.query(User).order_by(User.id.desc()).first().id
