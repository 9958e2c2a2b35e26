"""The audit log in words: each action, what it was done to, and its details, labelled in the UI's language.

An entry stores codes (`recording.listen`, `call:12`, `{"override_reason": null}`); the page
shows them as a reader says them. A detail key without a label is shown as code (<code>),
so the record stays complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

ACTIONS: dict[str, Any] = {
    "case.view": _l("Case viewed"),
    "case.break_glass": _l("Case opened without being its handler (break-glass)"),
    "case.phone_search": _l("Cases searched by phone number"),
    "call.view": _l("Call page viewed"),
    "call.monitor": _l("Live call listened to"),
    "recording.listen": _l("Recording listened to"),
    "callback.number_view": _l("Callback number viewed"),
    "risk.alert": _l("Risk alert raised"),
    "presence.change": _l("State changed by a supervisor"),
    "export": _l("Export"),
    "user.role_change": _l("Role changed"),
    "user.active_change": _l("Account (de)activated"),
    "user.log_in": _l("Logged in"),
    "user.log_in_failed": _l("Log-in failed"),
    "user.sessions_ended": _l("Logged out everywhere"),
    "user.second_factor_reset": _l("Second factor reset"),
    "rota.publish": _l("Rota published"),
    "rota.swap": _l("Shift swap approved"),
    "rota.leave": _l("Leave approved"),
    "calendar.confirmed": _l("Year's holidays confirmed"),
    "settings.change": _l("Settings changed"),
    "telephony.prompt.upload": _l("Prompt recording uploaded"),
    "telephony.prompt.replace": _l("Prompt recording replaced"),
    "telephony.prompt.delete": _l("Prompt recording deleted"),
    "retention.run": _l("Retention applied"),
    "directory.create": _l("Directory entry added"),
    "directory.edit": _l("Directory entry changed"),
    "directory.staff_channels": _l("A person's notification channels changed"),
    "directory.test_message": _l("Test message sent"),
    "directory.import": _l("Directory imported"),
    "escalation.cancel": _l("Escalation stopped"),
    "escalation.consent_override": _l("Consent overridden to share the caller's details"),
    "escalation.policy_change": _l("Escalation policy changed"),
    "escalation.policy_defaults": _l("Default escalation policies restored"),
    "referral.responder_view": _l("Responder page opened"),
    "knowledge.create": _l("Article created"),
    "knowledge.import": _l("Knowledge base imported"),
    "knowledge.publish": _l("Article published"),
    "knowledge.reminder": _l("Review reminder sent"),
    "knowledge.synonyms": _l("Synonyms changed"),
    "knowledge.verify": _l("Article verified"),
    "knowledge.withdraw": _l("Article withdrawn"),
    "subject.find": _l("A caller's data looked up (personal data request)"),
    "subject.export": _l("A caller's data exported (personal data request)"),
    "subject.erase": _l("A caller's data erased (personal data request)"),
}
TARGETS: dict[str, Any] = {
    "case": _l("Case"),
    "cases": _l("Cases"),
    "call": _l("Call"),
    "callback": _l("Callback"),
    "user": _l("Account"),
    "setting": _l("Setting"),
    "rota": _l("Rota"),
    "rota_version": _l("Rota version"),
    "calendar": _l("Calendar year"),
    "escalation": _l("Escalation"),
    "escalation_policy": _l("Escalation policy"),
    "referral": _l("Referral"),
    "report": _l("Report"),
    "subject_request": _l("Personal data request"),
    "knowledge": _l("Knowledge base"),
    "directory": _l("Directory"),
    "areas": _l("Area"),
    "stations": _l("Station"),
    "expert_volunteers": _l("Expert volunteer"),
    "organisations": _l("Organisation"),
}
TARGET_PARTS: dict[str, Any] = {"synonyms": _l("Synonyms")}
"""Named parts a target may have instead of an id (knowledge:synonyms)."""
SETTINGS: dict[str, Any] = {
    "telephony.voice": _l("Phone line: voice"),
    "telephony.prompts": _l("Phone line: prompts and menu"),
    "telephony.hours": _l("Phone line: hours"),
    "telephony.closures": _l("Phone line: closures"),
    "telephony.emergency": _l("Phone line: emergency numbers"),
    "telephony.queue": _l("Phone line: queue"),
    "retention": _l("Data retention"),
}
DETAILS: dict[str, Any] = {
    "reason": _l("Reason"),
    "reference": _l("Reference"),
    "role": _l("Role"),
    "matches": _l("Matches"),
    "allowed": _l("Allowed"),
    "from": _l("From"),
    "to": _l("To"),
    "no_holidays": _l("No public holidays"),
    "created": _l("Added"),
    "updated": _l("Updated"),
    "fields": _l("Fields"),
    "channel": _l("Channel"),
    "delivered": _l("Delivered"),
    "detail": _l("Details"),
    "format": _l("Format"),
    "had_one": _l("Had a second factor"),
    "sessions_ended": _l("Sessions ended"),
    "active": _l("Active"),
    "ended": _l("Sessions ended"),
    "tokens_revoked": _l("Tokens revoked"),
    "case_id": _l("Case"),
    "escalation_id": _l("Escalation"),
    "recording_sid": _l("Recording"),
    "simulated": _l("Simulated line"),
    "target": _l("Target"),
    "caller_details": _l("With the caller's details"),
    "override_reason": _l("Reason for the override"),
    "version": _l("Version"),
    "groups": _l("Synonym groups"),
    "changes": _l("Changes"),
    "errors": _l("Rule problems"),
    "view": _l("View"),
    "rows": _l("Rows"),
    "why": _l("Why"),
    "mode": _l("Mode"),
    "verify_months": _l("Review every (months)"),
    "kind": _l("Kind"),
    "state": _l("State"),
    "referral_id": _l("Referral"),
    "recordings_days": _l("Keep call recordings (days)"),
    "case_caller_months": _l("Keep callers' names and numbers on closed cases (months)"),
    "call_number_months": _l("Keep caller numbers on calls (months)"),
    "draft_days": _l("Keep unsaved intake drafts (days)"),
    "legal_hold_days": _l("Legal hold: days a closed case is kept before a caller's erasure request may remove it"),
}


@dataclass(frozen=True)
class Detail:
    """One detail of an entry: its label (or its key, shown as code) and its value in words."""

    label: str
    value: str
    key_is_code: bool = False
    value_is_code: bool = False


def action_label(action: str) -> str:
    """Return an action in words (the code itself when it has no label)."""
    return str(ACTIONS.get(action, action))


def target_label(target: str | None) -> tuple[str, str | None]:
    """Return what an entry was done to, in words, and a link to it when it has a page."""
    if not target:
        return "", None
    kind, _sep, key = target.partition(":")
    if kind == "setting":
        return str(SETTINGS.get(key) or _("Setting %(name)s", name=key)), None
    name = str(TARGETS.get(kind, kind))
    link = url_for("cases.case_page", case_id=int(key)) if kind == "case" and key.isdigit() else None
    if not key:
        return name, link
    if key.isdigit():
        return f"{name} #{key}", link
    if kind == "report":
        from hotline.reports.routes import view_titles

        return f"{name} · {view_titles().get(key, key)}", None
    return f"{name} · {TARGET_PARTS.get(key, key)}", None


def _value(value: Any) -> tuple[str, bool]:
    if value is None:
        return "—", False
    if isinstance(value, bool):
        return (_("yes") if value else _("no")), False
    if isinstance(value, list | tuple) and all(isinstance(item, str | int | float) for item in value):
        return " → ".join(str(item) for item in value) if len(value) == 2 else ", ".join(map(str, value)), False
    if isinstance(value, dict | list | tuple):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True), True
    return str(value), False


def details(detail: dict[str, Any] | None) -> list[Detail]:
    """Return an entry's details, each labelled."""
    shown: list[Detail] = []
    from hotline.vocabulary import Role
    from hotline.vocabulary import label as glossary_label

    for key, raw in (detail or {}).items():
        label = DETAILS.get(key)
        if key == "role":
            raw = [glossary_label(item, Role) for item in raw] if isinstance(raw, list) else glossary_label(raw, Role)
        value, is_code = _value(raw)
        shown.append(Detail(str(label) if label else key, value, label is None, is_code))
    return shown
