"""Escalation policies: choosing one, editing one (audited), the defaults, and settings."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import audit
from hotline.escalation.exceptions import NoPolicy, PolicyInvalid, SettingsInvalid
from hotline.escalation.models import (
    ROBOT_CHANNELS,
    Channel,
    EscalationPolicy,
    PolicyStep,
    Reason,
    TargetKind,
    Urgency,
)
from hotline.privacy import cipher
from hotline.settings import Setting

ANY_URGENCY = "any"
SKILLED_TARGETS = {TargetKind.EXPERT_ON_DUTY.value, TargetKind.EXPERT_ANY.value, TargetKind.ORGANISATION.value}

SETTING_DEFAULTS: dict[str, dict[str, Any]] = {
    "escalation.channels": {
        "normal": ["sms", "webhook"],
        "urgent": ["sms", "voice", "webhook"],
        "emergency": ["voice", "sms", "webhook"],
    },
    "escalation.sms_rules": {"restricted_countries": ["CN"]},
    "escalation.link": {"hours": 72},
    "escalation.team_webhook": {"url": None, "kind": None, "secret": None},
    "escalation.voice": {"language": "cmn-CN", "voice": "Polly.Zhiyu"},
    "escalation.callback": {"duty_team_minutes": 15},
}


def setting(session: Session, key: str) -> dict[str, Any]:
    """Return an escalation setting, falling back to its default."""
    row = session.get(Setting, key)
    default = SETTING_DEFAULTS.get(key, {})
    value = {**default, **(row.value if row is not None else {})}
    return unsealed(value) if key == TEAM_ROBOT else value


TEAM_ROBOT = "escalation.team_webhook"
SEALED = ("url", "secret")
"""The team robot's URL (a WeCom URL's key is its secret) and signing secret are stored encrypted."""


def sealed(value: dict[str, Any]) -> dict[str, Any]:
    """Return the team robot's setting with its URL and secret encrypted, as it is stored."""
    return {**value, **{name: cipher().encrypt(value[name]) for name in SEALED if value.get(name)}, "sealed": True}


def unsealed(value: dict[str, Any]) -> dict[str, Any]:
    """Return the team robot's setting with its URL and secret readable (a value stored before sealing is plain)."""
    plain = {name: item for name, item in value.items() if name != "sealed"}
    if value.get("sealed"):
        plain.update({name: cipher().decrypt(value[name]) for name in SEALED if value.get(name)})
    return plain


def audited(key: str, value: dict[str, Any]) -> dict[str, Any]:
    """Return a setting as the audit log keeps it: the team robot by its host, its secret as set or not."""
    if key != TEAM_ROBOT:
        return value
    url = value.get("url")
    return {
        "url": urlsplit(url).hostname if url else None,
        "kind": value.get("kind"),
        "secret": bool(value.get("secret")),
    }


LINK_HOURS = (1, 720)
CALLBACK_MINUTES = (1, 1440)
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
VOICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,59}")


def escalation_settings(session: Session) -> dict[str, dict[str, Any]]:
    """Return every escalation setting, defaults filled in."""
    return {key: setting(session, key) for key in SETTING_DEFAULTS}


def whole_number_in(value: Any, bounds: tuple[int, int]) -> bool:
    """Return whether value is an int (not a bool) within the inclusive bounds."""
    return isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]


def country_code(value: Any) -> bool:
    """Return whether value is a two-letter region code that phone numbers are parsed to (CN, HK)."""
    return (
        isinstance(value, str)
        and re.fullmatch("[A-Z]{2}", value) is not None
        and value in phonenumbers.SUPPORTED_REGIONS
    )


def validate_settings(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return errors of the escalation settings, keyed "<setting key>.<name>" (empty when valid)."""
    errors: dict[str, Any] = {}
    known = {channel.value for channel in Channel}
    for urgency in Urgency:
        chosen = values["escalation.channels"].get(urgency.value)
        if not chosen:
            errors[f"escalation.channels.{urgency.value}"] = _l("Choose at least one channel.")
        elif not set(chosen) <= known:
            errors[f"escalation.channels.{urgency.value}"] = _l("Unknown channel.")
    countries = values["escalation.sms_rules"].get("restricted_countries") or []
    if not isinstance(countries, list) or not all(country_code(code) for code in countries):
        errors["escalation.sms_rules.restricted_countries"] = _l(
            "Two-letter country codes (such as CN), separated by commas."
        )
    if not whole_number_in(values["escalation.link"].get("hours"), LINK_HOURS):
        errors["escalation.link.hours"] = _l(
            "A whole number of hours from %(low)s to %(high)s.", low=LINK_HOURS[0], high=LINK_HOURS[1]
        )
    url = values["escalation.team_webhook"].get("url")
    if url is not None:
        parts = urlsplit(url) if isinstance(url, str) and len(url) <= 500 and not re.search(r"\s", url) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            errors["escalation.team_webhook.url"] = _l("An address starting with http:// or https://, or empty.")
    if values[TEAM_ROBOT].get("kind") not in (None, *ROBOT_CHANNELS):
        errors["escalation.team_webhook.kind"] = _l("Unknown robot.")
    if values[TEAM_ROBOT].get("kind") and not url:
        errors["escalation.team_webhook.url"] = _l("The robot's address is needed.")
    voice = values["escalation.voice"]
    if not (isinstance(voice.get("language"), str) and LANGUAGE_CODE.fullmatch(voice["language"])):
        errors["escalation.voice.language"] = _l("A language code such as cmn-CN.")
    if not (isinstance(voice.get("voice"), str) and VOICE_NAME.fullmatch(voice["voice"])):
        errors["escalation.voice.voice"] = _l("A voice name such as Polly.Zhiyu: letters, digits, . _ - only.")
    if not whole_number_in(values["escalation.callback"].get("duty_team_minutes"), CALLBACK_MINUTES):
        errors["escalation.callback.duty_team_minutes"] = _l(
            "A whole number of minutes from %(low)s to %(high)s.", low=CALLBACK_MINUTES[0], high=CALLBACK_MINUTES[1]
        )
    return errors


def keep_channel_order(before: list[str], chosen: list[str]) -> list[str]:
    """Return the chosen channels, those already used first in their order (it is the order they are tried in)."""
    return [c for c in before if c in chosen] + [c for c in chosen if c not in before]


def save_settings(
    session: Session, values: dict[str, dict[str, Any]], *, actor_id: int | None, now: datetime
) -> list[str]:
    """Store the escalation settings that changed, audit each change, commit; return the changed keys.

    Args:
        values: setting key -> the values to change (names left out keep their current value).
    Raises:
        SettingsInvalid: a value is wrong; `fields` is keyed "<setting key>.<name>".
    """
    current = escalation_settings(session)
    wanted = {key: {**current[key], **values.get(key, {})} for key in SETTING_DEFAULTS}
    wanted["escalation.channels"] = {
        urgency: keep_channel_order(current["escalation.channels"].get(urgency) or [], chosen)
        if isinstance(chosen, list)
        else chosen
        for urgency, chosen in wanted["escalation.channels"].items()
    }
    errors = validate_settings(wanted)
    if errors:
        raise SettingsInvalid(errors)
    changed: list[str] = []
    for key, after in wanted.items():
        before = current[key]
        if after == before:
            continue
        row = session.get(Setting, key) or Setting(key=key)
        row.value, row.updated_at, row.updated_by_id = (sealed(after) if key == TEAM_ROBOT else after), now, actor_id
        session.add(row)
        audit.record(
            session,
            "settings.change",
            actor_id=actor_id,
            target=f"setting:{key}",
            detail={"from": audited(key, before), "to": audited(key, after)},
        )
        changed.append(key)
    session.commit()
    return changed


def step(
    targets: list[TargetKind], wait: int, repeat: int = 0, skill: str | None = None, urgency: str | None = None
) -> dict[str, Any]:
    """Return one step of a default policy."""
    return {
        "targets": [t.value for t in targets],
        "wait_minutes": wait,
        "repeat": repeat,
        "skill": skill,
        "urgency": urgency,
    }


T = TargetKind
DEFAULT_POLICIES: tuple[tuple[str, Reason, list[dict[str, Any]]], ...] = (
    (
        "上门探访",
        Reason.HOME_VISIT,
        [step([T.AREA_STATION], 30), step([T.NEXT_STATION], 30), step([T.DISTRICT_CENTRE], 60), step([T.MANAGER], 60)],
    ),
    (
        "法律问题",
        Reason.LEGAL,
        [
            step([T.EXPERT_ON_DUTY], 120, skill="legal"),
            step([T.EXPERT_ANY], 120, skill="legal"),
            step([T.SUPERVISOR], 60),
        ],
    ),
    (
        "心理支持",
        Reason.PSYCHOLOGICAL,
        [
            step([T.EXPERT_ON_DUTY], 60, skill="psychology"),
            step([T.EXPERT_ANY], 60, skill="psychology"),
            step([T.SUPERVISOR], 30),
        ],
    ),
    (
        "医疗问题",
        Reason.MEDICAL,
        [
            step([T.EXPERT_ON_DUTY], 60, skill="medical"),
            step([T.EXPERT_ANY], 60, skill="medical"),
            step([T.SUPERVISOR], 30),
        ],
    ),
    (
        "资源链接",
        Reason.RESOURCES,
        [step([T.ORGANISATION], 240, skill="resources"), step([T.AREA_STATION], 120), step([T.SUPERVISOR], 60)],
    ),
    ("回拨来电", Reason.CALLBACK, [step([T.DUTY_TEAM], 15, repeat=1), step([T.SUPERVISOR], 30), step([T.MANAGER], 60)]),
    (
        "高风险个案",
        Reason.RISK,
        [
            step([T.SUPERVISOR], 5, repeat=1, urgency="emergency"),
            step([T.EXPERT_ON_DUTY, T.DISTRICT_CENTRE], 10, skill="crisis"),
            step([T.MANAGER], 15, urgency="emergency"),
        ],
    ),
    ("其他转介", Reason.OTHER, [step([T.AREA_STATION], 60), step([T.DISTRICT_CENTRE], 60), step([T.SUPERVISOR], 60)]),
)


def seed_default_policies(session: Session) -> int:
    """Create the default policy of each reason that has none yet; return how many were made."""
    made = 0
    for name, reason, steps in DEFAULT_POLICIES:
        exists = session.scalar(select(EscalationPolicy.id).where(EscalationPolicy.reason == reason.value))
        if exists is not None:
            continue
        policy = EscalationPolicy(name=name, reason=reason.value, urgency=ANY_URGENCY, active=True)
        policy.steps = [PolicyStep(position=i, **s) for i, s in enumerate(steps)]
        session.add(policy)
        made += 1
    session.flush()
    return made


def choose_policy(session: Session, reason: str, urgency: str) -> EscalationPolicy:
    """Return the active policy for the reason and urgency, else the reason's, else the general one.

    Raises:
        NoPolicy: nothing fits, not even the "other" policy.
    """
    for wanted_reason, wanted_urgency in (
        (reason, urgency),
        (reason, ANY_URGENCY),
        (Reason.OTHER.value, urgency),
        (Reason.OTHER.value, ANY_URGENCY),
    ):
        policy = session.scalar(
            select(EscalationPolicy).where(
                EscalationPolicy.reason == wanted_reason,
                EscalationPolicy.urgency == wanted_urgency,
                EscalationPolicy.active.is_(True),
            )
        )
        if policy is not None and policy.steps:
            return policy
    if seed_defaults_on_first_use(session):
        return choose_policy(session, reason, urgency)
    raise NoPolicy(f"{reason}/{urgency}")


def seed_defaults_on_first_use(session: Session) -> bool:
    """On an installation with no policy at all, create the defaults (audited); return whether it did.

    So that the first abandoned call of a new hotline gets its callback, rather
    than nothing until a manager has written policies. A table that has policies,
    even inactive ones, is left as the managers made it.
    """
    if session.scalar(select(EscalationPolicy.id).limit(1)) is not None:
        return False
    try:
        with session.begin_nested():
            made = seed_default_policies(session)
    except IntegrityError:  # another process seeded them at the same moment
        return session.scalar(select(EscalationPolicy.id).limit(1)) is not None
    audit.record(
        session, "escalation.policy_defaults", actor_id=None, target="escalation:policies", detail={"made": made}
    )
    return made > 0


def list_policies(session: Session) -> list[EscalationPolicy]:
    """Return every policy by reason and urgency."""
    return list(session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.reason, EscalationPolicy.urgency)))


def validate_steps(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Return field errors of a list of steps (empty when valid)."""
    errors: dict[str, Any] = {}
    if not steps:
        errors["steps"] = _l("A policy needs at least one step.")
    kinds = {kind.value for kind in TargetKind}
    for index, item in enumerate(steps):
        if not item.get("targets") or not set(item["targets"]) <= kinds:
            errors[f"steps-{index}-targets"] = _l("Choose whom this step notifies.")
        if int(item.get("wait_minutes") or 0) < 0 or int(item.get("repeat") or 0) < 0:
            errors[f"steps-{index}-wait_minutes"] = _l("Minutes and repeats cannot be negative.")
        if item.get("urgency") and item["urgency"] not in {u.value for u in Urgency}:
            errors[f"steps-{index}-urgency"] = _l("Unknown urgency.")
    return errors


def save_policy(
    session: Session,
    policy: EscalationPolicy | None,
    *,
    name: str,
    reason: str,
    urgency: str,
    active: bool,
    steps: list[dict[str, Any]],
    actor_id: int | None,
    now: datetime,
) -> EscalationPolicy:
    """Create or change a policy and log the change; running chains keep their copy.

    Raises:
        PolicyInvalid: no step, a step without targets, or another policy already has this reason and urgency.
    """
    errors = validate_steps(steps)
    if errors:
        raise PolicyInvalid(errors)
    before = policy.snapshot() if policy is not None else None
    if policy is None:
        policy = EscalationPolicy()
        session.add(policy)
    policy.name, policy.reason, policy.urgency, policy.active = name, reason, urgency, active
    policy.updated_at, policy.updated_by_id = now, actor_id
    policy.steps.clear()
    session.flush()
    policy.steps.extend(
        PolicyStep(
            position=index,
            targets=list(item["targets"]),
            skill=item.get("skill") or None,
            wait_minutes=int(item.get("wait_minutes") or 0),
            repeat=int(item.get("repeat") or 0),
            urgency=item.get("urgency") or None,
        )
        for index, item in enumerate(steps)
    )
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise PolicyInvalid({"urgency": _l("Another policy already has this reason and urgency.")}) from exc
    audit.record(
        session,
        "escalation.policy_change",
        actor_id=actor_id,
        target=f"escalation_policy:{policy.id}",
        detail={"before": before, "after": policy.snapshot()},
    )
    session.commit()
    return policy
