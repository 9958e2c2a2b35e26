"""The escalation settings: defaults, validation, saving with an audit entry per changed setting."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.audit import AuditEntry
from hotline.escalation import policies
from hotline.escalation.exceptions import SettingsInvalid
from hotline.escalation.policies import SETTING_DEFAULTS, save_settings, setting, validate_settings
from hotline.settings import Setting
from tests.escalation.conftest import NOW


def test_every_setting_has_its_default_when_nothing_is_stored(db_session: Any) -> None:
    assert policies.escalation_settings(db_session) == SETTING_DEFAULTS


def test_save_stores_and_audits_only_the_settings_that_changed(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    changed = save_settings(
        db_session,
        {"escalation.link": {"hours": 24}, "escalation.team_webhook": {"url": "https://qyapi.example.com/robot?k=1"}},
        actor_id=manager.id,
        now=NOW,
    )
    assert sorted(changed) == ["escalation.link", "escalation.team_webhook"]
    assert setting(db_session, "escalation.link") == {"hours": 24}
    assert setting(db_session, "escalation.team_webhook")["url"] == "https://qyapi.example.com/robot?k=1"
    assert db_session.scalar(select(func.count()).select_from(Setting)) == 2
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.change")).all()
    assert {e.target for e in entries} == {"setting:escalation.link", "setting:escalation.team_webhook"}
    link = next(e for e in entries if e.target == "setting:escalation.link")
    assert link.actor_id == manager.id and link.detail == {"from": {"hours": 72}, "to": {"hours": 24}}
    assert save_settings(db_session, {"escalation.link": {"hours": 24}}, actor_id=manager.id, now=NOW) == []


def test_saved_channels_keep_the_order_they_are_tried_in(db_session: Any) -> None:
    # A form sends options in list order (sms, voice, webhook); emergencies still call first.
    save_settings(
        db_session,
        {"escalation.channels": {"emergency": ["sms", "voice"], "normal": ["voice", "sms"]}},
        actor_id=None,
        now=NOW,
    )
    channels = setting(db_session, "escalation.channels")
    assert channels["emergency"] == ["voice", "sms"]
    assert channels["normal"] == ["sms", "voice"]
    assert channels["urgent"] == SETTING_DEFAULTS["escalation.channels"]["urgent"]


def with_change(key: str, name: str, value: Any) -> dict[str, dict[str, Any]]:
    values = copy.deepcopy(SETTING_DEFAULTS)
    values[key][name] = value
    return values


@pytest.mark.parametrize(
    ("key", "name", "value"),
    [
        ("escalation.channels", "urgent", []),
        ("escalation.channels", "urgent", ["sms", "fax"]),
        ("escalation.sms_rules", "restricted_countries", ["cn"]),
        ("escalation.sms_rules", "restricted_countries", ["CHN"]),
        ("escalation.sms_rules", "restricted_countries", ["XX"]),
        ("escalation.link", "hours", 0),
        ("escalation.link", "hours", 721),
        ("escalation.link", "hours", "72"),
        ("escalation.link", "hours", True),
        ("escalation.team_webhook", "url", "ftp://example.com/hook"),
        ("escalation.team_webhook", "url", "javascript:alert(1)"),
        ("escalation.team_webhook", "url", "https://"),
        ("escalation.team_webhook", "url", "https://exa mple.com/hook"),
        ("escalation.voice", "language", "普通话"),
        ("escalation.voice", "voice", ""),
        ("escalation.voice", "voice", "Polly Zhiyu"),
        ("escalation.callback", "duty_team_minutes", 0),
        ("escalation.callback", "duty_team_minutes", 1441),
    ],
)
def test_wrong_values_are_refused_by_name(key: str, name: str, value: Any) -> None:
    assert list(validate_settings(with_change(key, name, value))) == [f"{key}.{name}"]


@pytest.mark.parametrize(
    ("key", "name", "value"),
    [
        ("escalation.sms_rules", "restricted_countries", []),
        ("escalation.sms_rules", "restricted_countries", ["CN", "HK"]),
        ("escalation.link", "hours", 1),
        ("escalation.link", "hours", 720),
        ("escalation.team_webhook", "url", None),
        ("escalation.team_webhook", "url", "http://robot.internal:8080/send?key=abc"),
        ("escalation.voice", "language", "en-US"),
        ("escalation.voice", "voice", "Google.cmn-CN-Standard-A"),
    ],
)
def test_sensible_values_are_accepted(key: str, name: str, value: Any) -> None:
    assert validate_settings(with_change(key, name, value)) == {}


def test_a_wrong_value_changes_nothing(db_session: Any) -> None:
    with pytest.raises(SettingsInvalid) as error:
        save_settings(
            db_session,
            {"escalation.link": {"hours": 24}, "escalation.channels": {"normal": []}},
            actor_id=None,
            now=NOW,
        )
    assert list(error.value.fields) == ["escalation.channels.normal"]
    assert db_session.scalar(select(func.count()).select_from(Setting)) == 0
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_new_installation_gets_the_default_policies_when_a_chain_first_needs_one(db_session: Any) -> None:
    from hotline.escalation.models import EscalationPolicy

    assert db_session.scalar(select(func.count(EscalationPolicy.id))) == 0
    chosen = policies.choose_policy(db_session, "callback", "normal")
    assert chosen.reason == "callback" and chosen.steps
    assert db_session.scalar(select(func.count(EscalationPolicy.id))) == len(policies.DEFAULT_POLICIES)
    assert db_session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "escalation.policy_defaults"))


def test_policies_a_manager_switched_off_stay_off(db_session: Any) -> None:
    from hotline.escalation.exceptions import NoPolicy
    from hotline.escalation.models import EscalationPolicy

    policies.seed_default_policies(db_session)
    for policy in db_session.scalars(select(EscalationPolicy)):
        policy.active = False
    db_session.flush()
    with pytest.raises(NoPolicy):
        policies.choose_policy(db_session, "callback", "normal")
    assert db_session.scalar(select(func.count(EscalationPolicy.id))) == len(policies.DEFAULT_POLICIES)
