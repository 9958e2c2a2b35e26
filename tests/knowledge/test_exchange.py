"""Exchange and proposals: CSV and Markdown round trips, all-or-nothing imports, the owner's signed link."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from hotline.clock import utcnow
from hotline.knowledge import exchange
from hotline.knowledge.exceptions import ImportFailed
from hotline.knowledge.models import Article
from tests.conftest import csrf_token


def test_csv_and_markdown_exports_read_back_as_the_same_articles(
    db_session: Any, make_article: Any, areas: Any
) -> None:
    make_article("低保怎么申请", "第一行。\n第二行。", area=areas["street"], phrasings="怎么办低保\n低保去哪办")
    csv_text = exchange.export_csv(db_session)
    zip_bytes = exchange.export_zip(db_session)
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        (name,) = archive.namelist()
        markdown = archive.read(name).decode()
    assert markdown.startswith("---\nquestion: 低保怎么申请\n")
    for records in (exchange.records_of("k.csv", csv_text.encode()), exchange.records_of("k.md", markdown.encode())):
        ((where, fields),) = records
        errors: list[str] = []
        content = exchange.content_of(db_session, fields, errors)
        assert errors == []
        assert content["answer"] == "第一行。\n第二行。" and content["area_id"] == areas["street"].id
        assert content["phrasings"] == "怎么办低保\n低保去哪办"


def test_an_import_with_one_bad_record_imports_nothing(db_session: Any) -> None:
    text = (
        "---\nquestion: 好的条目\nsource_title: 《文件》\n---\n答复。\n"
        "---\nquestion: 坏的条目\nsource_title: 《文件》\nservices: nothing\narea_code: 999\n---\n答复。\n"
    )
    with pytest.raises(ImportFailed) as failure:
        exchange.import_records(db_session, exchange.records_of("k.md", text.encode()), None, utcnow(), True)
    assert [where for where, _ in failure.value.errors] == ["k.md:6", "k.md:6"]
    assert db_session.query(Article).count() == 0


def test_import_errors_are_in_the_readers_language(app: Any, db_session: Any) -> None:
    text = "---\nquestion: 条目\nvalid_from: 明天\nservices: nothing\n---\n答复。\n"
    with app.test_request_context(), pytest.raises(ImportFailed) as failure:
        exchange.import_records(db_session, exchange.records_of("k.md", text.encode()), None, utcnow(), True)
    problems = [problem for _, problem in failure.value.errors]
    assert problems == [
        "source_title 为必填项",
        "valid_from：明天 不是日期（YYYY-MM-DD）",
        "services：未知代码 nothing",
    ]
    with app.test_request_context(), pytest.raises(ImportFailed) as failure:
        exchange.records_of("k.txt", b"x")
    assert failure.value.errors == [("k.txt", "请选择 .csv、.md 或 .zip 文件")]


def test_importing_the_same_question_again_makes_a_new_version(db_session: Any) -> None:
    text = "---\nquestion: 低保怎么申请\nsource_title: 《社会救助暂行办法》\n---\n旧答复。\n"
    exchange.import_records(db_session, exchange.records_of("a.md", text.encode()), None, utcnow(), True)
    newer = text.replace("旧答复", "新答复")
    created, updated = exchange.import_records(
        db_session, exchange.records_of("b.md", newer.encode()), None, utcnow(), True
    )
    article = db_session.query(Article).one()
    assert (created, updated) == (0, 1)
    assert article.answer == "新答复。" and [v.state for v in article.versions] == ["superseded", "published"]


def test_the_owner_proposes_an_edit_through_the_signed_link(
    app: Any, login_as: Any, make_article: Any, db_session: Any
) -> None:
    from hotline.directory.models import Station
    from hotline.knowledge.proposals import proposal_path

    station = Station(name="海滨街道社会工作服务站", tier="station")
    db_session.add(station)
    db_session.commit()
    article = make_article("低保怎么申请", "旧答复。", owner_station_id=station.id)
    with app.test_request_context():
        path = proposal_path(article)
    stranger = app.test_client()
    page = stranger.get(path)
    assert page.status_code == 200 and "旧答复" in page.get_data(as_text=True)
    token = csrf_token(stranger, path)
    sent = stranger.post(
        path,
        data={
            "csrf_token": token,
            "proposer_name": "张社工",
            "question": "低保怎么申请",
            "answer": "新答复。",
            "source_title": "《社会救助暂行办法》",
            "area_id": "",
            "owner": f"station:{station.id}",
        },
    )
    assert sent.status_code == 200 and "谢谢" in sent.get_data(as_text=True)
    db_session.refresh(article)
    proposal = article.versions[-1]
    assert (proposal.state, proposal.origin, proposal.proposer) == (
        "proposed",
        "station",
        "海滨街道社会工作服务站 · 张社工",
    )
    assert article.answer == "旧答复。"
    assert stranger.get(path[:-3] + "xyz").status_code == 404

    supervisor = login_as("supervisor")
    assert "低保怎么申请" in supervisor.get("/knowledge/manage").get_data(as_text=True)
    token = csrf_token(supervisor, f"/knowledge/articles/{article.id}")
    supervisor.post(f"/knowledge/manage/{article.id}/versions/{proposal.number}/publish", data={"csrf_token": token})
    db_session.refresh(article)
    assert article.answer == "新答复。"


def test_the_csv_export_neutralises_formulas_and_reads_back_the_same(db_session: Any, make_article: Any) -> None:
    make_article('=HYPERLINK("http://x")', "-答复。", source_title="@来源")
    text = exchange.export_csv(db_session)
    assert "'=HYPERLINK" in text and "'@来源" in text
    ((_where, fields),) = exchange.records_of("k.csv", text.encode())
    assert fields["question"] == '=HYPERLINK("http://x")' and fields["answer"] == "-答复。"
