"""Search in Chinese on either database: two-character terms, synonyms, area ranking, validity, highlights."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hotline.knowledge import search, services
from hotline.knowledge.models import SynonymGroup
from tests.knowledge.conftest import TODAY


def questions(hits: list[search.Hit]) -> list[str]:
    return [hit.article.question for hit in hits]


def test_two_character_terms_find_longer_words(db_session: Any, make_article: Any) -> None:
    make_article("低保户家里有人生病怎么办", "可以申请临时救助，向街道社会救助窗口提出。")
    make_article("空巢老人有哪些上门服务", "社区养老服务驿站提供助餐、助洁和探访。")
    make_article("残疾人两项补贴怎么申请", "向户籍所在地街道提出申请，区残联审核。")

    assert questions(search.search(db_session, "低保", TODAY)) == ["低保户家里有人生病怎么办"]
    assert questions(search.search(db_session, "老人", TODAY)) == ["空巢老人有哪些上门服务"]
    assert questions(search.search(db_session, "残疾", TODAY)) == ["残疾人两项补贴怎么申请"]


def test_phrases_need_every_word_and_the_question_outranks_the_answer(db_session: Any, make_article: Any) -> None:
    make_article(
        "临时救助的条件", "遭遇突发事件、意外伤害、重大疾病，基本生活暂时出现严重困难的家庭可以申请低保以外的救助。"
    )
    make_article("申请低保需要什么材料", "身份证、户口簿、收入证明和家庭财产情况说明。")
    make_article("低保标准是多少", "按天津市公布的城乡低保标准执行。")

    found = questions(search.search(db_session, "申请低保需要什么材料", TODAY))
    assert found == ["申请低保需要什么材料"]
    ranked = questions(search.search(db_session, "低保", TODAY))
    assert ranked[-1] == "临时救助的条件"
    assert set(ranked) == {"临时救助的条件", "申请低保需要什么材料", "低保标准是多少"}


def test_synonyms_find_articles_that_use_the_other_term(db_session: Any, make_article: Any) -> None:
    make_article("最低生活保障怎么申请", "由申请人向户籍所在地街道（乡镇）提出书面申请。")
    make_article("残障人士出行有什么优惠", "持残疾人证可以免费乘坐市内公交。")
    assert search.search(db_session, "低保", TODAY) == []
    db_session.add_all([SynonymGroup(terms=["低保", "最低生活保障"]), SynonymGroup(terms=["残疾人", "残障人士"])])
    db_session.commit()

    assert questions(search.search(db_session, "低保", TODAY)) == ["最低生活保障怎么申请"]
    assert questions(search.search(db_session, "怎么申请低保", TODAY)) == ["最低生活保障怎么申请"]
    assert questions(search.search(db_session, "残疾人出行", TODAY)) == ["残障人士出行有什么优惠"]


def test_the_callers_area_ranks_first_and_other_streets_are_left_out(
    db_session: Any, make_article: Any, areas: dict[str, Any]
) -> None:
    make_article("高龄津贴怎么领", "年满八十周岁的老人可以申请高龄津贴。")
    make_article("高龄津贴怎么领", "年满八十周岁的老人可以申请高龄津贴。", area=areas["street"])
    make_article("高龄津贴怎么领", "年满八十周岁的老人可以申请高龄津贴。", area=areas["community"])
    make_article("高龄津贴怎么领", "年满八十周岁的老人可以申请高龄津贴。", area=areas["other"])

    hits = search.search(db_session, "高龄津贴", TODAY, area_id=areas["community"].id)
    assert [hit.article.area_id for hit in hits] == [areas["community"].id, areas["street"].id, None]
    everywhere = search.search(db_session, "高龄津贴", TODAY)
    assert len(everywhere) == 4


def test_only_published_articles_valid_today_are_found(db_session: Any, make_article: Any) -> None:
    make_article("低保 现行", "现行的答案。")
    make_article("低保 过期", "过期的答案。", valid_until=(TODAY - timedelta(days=1)).isoformat())
    make_article("低保 未生效", "将来的答案。", valid_from=(TODAY + timedelta(days=1)).isoformat())
    make_article("低保 草稿", "草稿的答案。", publish=False)
    withdrawn = make_article("低保 撤回", "撤回的答案。")
    services.withdraw(db_session, withdrawn, withdrawn.verified_by_id, withdrawn.published_at)

    assert questions(search.search(db_session, "低保", TODAY)) == ["低保 现行"]
    assert len(search.search(db_session, "低保", TODAY + timedelta(days=1))) == 2


def test_service_filter_and_suggestions_without_a_query(
    db_session: Any, make_article: Any, areas: dict[str, Any]
) -> None:
    make_article("心理援助热线是多少", "全国统一心理援助热线12356。", services=["emotional"])
    make_article("低保怎么申请", "向街道提出申请。", services=["info"], area=areas["street"])

    assert questions(search.search(db_session, "", TODAY, service="emotional")) == ["心理援助热线是多少"]
    suggested = search.search(db_session, "", TODAY, area_id=areas["street"].id)
    assert questions(suggested) == ["低保怎么申请", "心理援助热线是多少"]


def test_matches_are_highlighted_and_escaped(db_session: Any, make_article: Any) -> None:
    make_article("<b>低保</b>材料", "需要身份证。" * 40 + "申请低保时还要收入证明。" + "其他说明。" * 40)
    (hit,) = search.search(db_session, "低保", TODAY)
    assert str(hit.question) == "&lt;b&gt;<mark>低保</mark>&lt;/b&gt;材料"
    assert "<mark>低保</mark>" in str(hit.excerpt)
    assert hit.excerpt_text.startswith("…") and hit.excerpt_text.endswith("…")


def test_text_without_words_finds_nothing(db_session: Any, make_article: Any) -> None:
    make_article("低保", "答案。")
    assert search.search(db_session, "？！…", TODAY) == []
    assert search.search(db_session, '" OR 1=1 --', TODAY) == []


def test_editing_a_published_article_changes_search_only_when_published(db_session: Any, make_article: Any) -> None:
    article = make_article("低保怎么申请", "旧的答案。")
    content = article.content() | {"question": "特困供养怎么申请"}
    draft = services.save_draft(db_session, article, content, None, article.published_at)
    assert questions(search.search(db_session, "低保", TODAY)) == ["低保怎么申请"]
    assert search.search(db_session, "特困", TODAY) == []

    services.publish(db_session, article, draft, article.verified_by_id, article.published_at + timedelta(hours=1))
    assert search.search(db_session, "低保", TODAY) == []
    assert questions(search.search(db_session, "特困", TODAY)) == ["特困供养怎么申请"]
    assert [v.state for v in article.versions] == ["superseded", "published"]


def test_one_character_is_a_prefix(db_session: Any, make_article: Any) -> None:
    make_article("老年人优待证", "年满六十周岁可以办理。")
    assert questions(search.search(db_session, "老", date(2026, 12, 2))) == ["老年人优待证"]


def test_only_the_newest_matches_are_ranked_when_there_are_too_many(db_session: Any, make_article: Any) -> None:
    oldest = make_article("低保怎么申请", "向街道提出申请。低保低保低保。")
    middle = make_article("低保的材料", "身份证。")
    newest = make_article("低保的标准", "按本市标准。")
    query = search.parse("低保", [])
    ranked = search.ranked_ids(db_session, query, TODAY, [], None, 10, candidates=2)
    assert {article_id for article_id, _ in ranked} == {middle.id, newest.id}
    everything = search.ranked_ids(db_session, query, TODAY, [], None, 10)
    assert {article_id for article_id, _ in everything} == {oldest.id, middle.id, newest.id}
