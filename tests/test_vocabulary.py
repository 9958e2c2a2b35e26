"""Glossary labels: equal values in different lists keep their own labels."""

from __future__ import annotations

from typing import Any

from hotline.vocabulary import ExpertSkill, Service, label


def test_crisis_service_and_crisis_skill_have_their_own_labels(app: Any) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert label(Service.CRISIS) == "Crisis intervention"
        assert label(ExpertSkill.CRISIS) == "Crisis"
        assert label("crisis", ExpertSkill) == "Crisis"
        assert label("crisis") == "Crisis intervention"
        assert label("unknown-value") == "unknown-value"


def test_labels_are_chinese_by_default(app: Any) -> None:
    with app.test_request_context():
        assert label(Service.CRISIS) == "危机介入"


def test_the_menu_s_expert_service_has_a_label(app: Any) -> None:
    """Key 5 of the default menu leads to the expert volunteers; the console names it."""
    from hotline.telephony.forms import EXPERT

    with app.test_request_context():
        assert label(EXPERT, Service) == "专业志愿者"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert label(EXPERT, Service) == "Expert volunteer"


def test_manager_and_administrator_have_different_chinese_names(app: Any) -> None:
    from hotline.vocabulary import Role

    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert label(Role.MANAGER) == "管理人员" and label(Role.ADMIN) == "系统管理员"
