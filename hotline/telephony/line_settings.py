"""The phone line's settings: prompts, voice, hours, holidays, closures, emergency numbers, queue limits.

Stored in the foundation `settings` table under keys starting "telephony.", each
merged over defaults that work out of the box (Mandarin prompts, Polly's Mandarin
voice, 09:00-17:00 every day), so an empty table gives a working line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline import audit
from hotline.clock import utcnow
from hotline.db import CommitWatch
from hotline.settings import Setting

PREFIX = "telephony."

DEFAULT_PROMPTS: dict[str, str] = {
    "greeting": "您好，这里是社会工作服务热线。",
    "privacy": "为了更好地为您服务，您的来电信息将被记录并严格保密。",
    "menu": (
        "信息和政策咨询请按1；情绪疏导请按2；家庭教育请按3；资源链接请按4；"
        "需要律师、心理咨询师等专家请按5。如遇危机或紧急情况，请按0。"
    ),
    "invalid": "对不起，您没有选择或选择有误。",
    "crisis": "我们将优先为您接通工作人员，请不要挂机。",
    "queued": "正在为您转接工作人员，请稍候。",
    "position": "您前面还有{ahead}位来电者，预计等待约{minutes}分钟。请不要挂机。",
    "next_in_line": "您是下一位，预计等待约{minutes}分钟。如果等待时间过长，我们会请您留言或为您安排回电。请不要挂机。",
    "max_wait": "很抱歉让您久等了，工作人员都在忙。",
    "options": "留言请按1；需要我们给您回电，请按2。",
    "closed": "您好，这里是社会工作服务热线。现在是非服务时间。我们的服务时间是{hours}。",
    "holiday": "您好，这里是社会工作服务热线。今天是法定节假日，热线暂停服务。我们的服务时间是{hours}。",
    "closure": "您好，这里是社会工作服务热线。因特殊情况，热线暂停服务。",
    "emergency": "如遇紧急情况，请拨打{numbers}。",
    "voicemail": "请在提示音后留言，并留下您的联系方式。说完后请按井号键或直接挂机。",
    "voicemail_thanks": "您的留言已收到，我们会尽快与您联系。再见。",
    "no_voicemail": "我们没有收到您的留言。",
    "callback_confirmed": "我们已记下您的回电请求，工作人员会尽快给您回电。再见。",
    "sms_offer": "如需接收回电确认短信，请按1。",
    "sms_consent_thanks": "确认短信将发送到您的手机，回复TD可退订。再见。",
    "callback_no_number": "很抱歉，您的号码没有显示，我们无法回电。请留言并说出您的联系方式。",
    "connecting": "正在为您接通工作人员。",
    "worker_missed": "工作人员暂时未能接听，我们会继续为您排队，您仍在队列的最前面。",
    "apology": "很抱歉，系统暂时出现问题。",
    "goodbye": "感谢您的来电，再见。",
    "on_hold": "您的通话已被保持，工作人员马上回来，请不要挂机。",
    "survey_question": (
        "感谢您的来电。请为本次服务打分：非常满意请按5，满意请按4，一般请按3，不满意请按2，非常不满意请按1。"
    ),
    "survey_again": "请按1到5之间的数字。",
    "survey_thanks": "谢谢您的评价，再见。",
}
PROMPT_NAMES = tuple(DEFAULT_PROMPTS)

# Keys of the menu and what they ask for; "0" is always crisis.
DEFAULT_MENU: dict[str, str] = {"1": "info", "2": "emotional", "3": "family", "4": "resources", "5": "expert"}
CRISIS_KEY = "0"
MENU_KEYS = tuple("123456789")
"""The keys a manager may map to a service (see hotline.telephony.forms.MENU_SERVICES)."""
CRISIS_PRIORITY = 100
NORMAL_PRIORITY = 0

DEFAULT_EMERGENCY = [
    {"label": "报警", "number": "110"},
    {"label": "急救", "number": "120"},
    {"label": "心理援助热线", "number": "12356"},
]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Prompt:
    """What a caller hears at one step: text spoken in the voice, or a recorded audio URL."""

    text: str
    audio_url: str | None = None


@dataclass
class LineSettings:
    """Everything a manager may change about the phone line."""

    language: str = "cmn-CN"
    voice: str = "Polly.Zhiyu"
    prompts: dict[str, Prompt] = field(default_factory=lambda: {k: Prompt(v) for k, v in DEFAULT_PROMPTS.items()})
    menu: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MENU))
    weekly_hours: dict[str, list[list[str]]] = field(default_factory=lambda: {d: [["09:00", "17:00"]] for d in DAYS})
    open_on_holidays: bool = False
    closures: list[dict[str, str]] = field(default_factory=list)
    """Each {"starts_at", "ends_at" (ISO, aware), "message"}."""
    emergency_numbers: list[dict[str, str]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_EMERGENCY))
    max_wait_seconds: int = 180
    announce_every_seconds: int = 30
    hold_audio_url: str | None = None
    average_handle_seconds: int = 240
    menu_attempts: int = 3
    dial_timeout_seconds: int = 20
    recordings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Prompts the station recorded: name -> {"version", "seconds"} (stored by hotline.telephony.prompts)."""
    recording_urls: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Each recording's signed public URL, signed once per copy (see hotline.telephony.prompts.sign_recordings)."""
    recording_urls_expire: int = field(default=0, repr=False, compare=False)
    rendered: dict[Any, str] = field(default_factory=dict, repr=False, compare=False)
    """TwiML that depends only on these settings, rendered once (see hotline.telephony.routes.voice.menu_text)."""

    def prompt(self, name: str) -> Prompt:
        """Return a prompt, falling back to its default."""
        return self.prompts.get(name) or Prompt(DEFAULT_PROMPTS.get(name, ""))


SECTIONS = ("voice", "prompts", "hours", "closures", "emergency", "queue")
"""The sections the settings page saves (`save_line_settings`)."""
RECORDINGS = "recordings"
"""The section of the recorded prompts, written only with their audio (hotline.telephony.prompts)."""


def _section_values(settings: LineSettings, section: str) -> dict[str, Any]:
    """Return the JSON stored for one section."""
    if section == "voice":
        return {"language": settings.language, "voice": settings.voice}
    if section == "prompts":
        return {
            "prompts": {n: {"text": p.text, "audio_url": p.audio_url} for n, p in settings.prompts.items()},
            "menu": settings.menu,
        }
    if section == "hours":
        return {"weekly": settings.weekly_hours, "open_on_holidays": settings.open_on_holidays}
    if section == "closures":
        return {"items": settings.closures}
    if section == "emergency":
        return {"numbers": settings.emergency_numbers}
    return {
        "max_wait_seconds": settings.max_wait_seconds,
        "announce_every_seconds": settings.announce_every_seconds,
        "hold_audio_url": settings.hold_audio_url,
        "average_handle_seconds": settings.average_handle_seconds,
        "menu_attempts": settings.menu_attempts,
        "dial_timeout_seconds": settings.dial_timeout_seconds,
    }


def _apply(settings: LineSettings, section: str, value: dict[str, Any]) -> None:
    """Merge one stored section into the settings (unknown keys are ignored)."""
    if section == "voice":
        settings.language = str(value.get("language") or settings.language)
        settings.voice = str(value.get("voice") or settings.voice)
    elif section == "prompts":
        for name, stored in (value.get("prompts") or {}).items():
            if name in DEFAULT_PROMPTS and isinstance(stored, dict):
                text = str(stored.get("text") or DEFAULT_PROMPTS[name])
                settings.prompts[name] = Prompt(text, stored.get("audio_url") or None)
        if isinstance(value.get("menu"), dict):
            settings.menu = {str(k): str(v) for k, v in value["menu"].items() if str(k) != CRISIS_KEY}
    elif section == "hours":
        if isinstance(value.get("weekly"), dict):
            settings.weekly_hours = {d: list(value["weekly"].get(d) or []) for d in DAYS}
        settings.open_on_holidays = bool(value.get("open_on_holidays", settings.open_on_holidays))
    elif section == "closures":
        settings.closures = list(value.get("items") or [])
    elif section == "emergency":
        settings.emergency_numbers = list(value.get("numbers") or [])
    elif section == RECORDINGS:
        items = value.get("items") or {}
        settings.recordings = {n: dict(v) for n, v in items.items() if n in DEFAULT_PROMPTS and isinstance(v, dict)}
    elif section == "queue":
        for name in (
            "max_wait_seconds",
            "announce_every_seconds",
            "average_handle_seconds",
            "menu_attempts",
            "dial_timeout_seconds",
        ):
            if value.get(name) is not None:
                setattr(settings, name, int(value[name]))
        settings.hold_audio_url = value.get("hold_audio_url") or None


def _is_line_setting(row: Any) -> bool:
    return isinstance(row, Setting) and str(row.key or "").startswith(PREFIX)


SETTINGS_CHANGES = CommitWatch("telephony settings", _is_line_setting)
"""This process's committed changes to the line's settings (the webhooks' copies are dropped on each)."""


def load_line_settings(session: Session) -> LineSettings:
    """Read the line's settings, defaults filled in for anything not stored."""
    settings = LineSettings()
    rows = session.query(Setting).filter(Setting.key.in_([PREFIX + s for s in (*SECTIONS, RECORDINGS)])).all()
    for row in rows:
        _apply(settings, row.key.removeprefix(PREFIX), row.value or {})
    return settings


def save_line_settings(
    session: Session, settings: LineSettings, actor_id: int | None, now: datetime | None = None
) -> list[str]:
    """Store the sections that changed, audit each change, commit; return the changed section names."""
    current = load_line_settings(session)
    changed: list[str] = []
    for section in SECTIONS:
        before, after = _section_values(current, section), _section_values(settings, section)
        if before == after:
            continue
        row = session.get(Setting, PREFIX + section) or Setting(key=PREFIX + section)
        row.value = after
        row.updated_at = now or utcnow()
        row.updated_by_id = actor_id
        session.add(row)
        audit.record(
            session, "settings.change", actor_id=actor_id, target=f"setting:{PREFIX}{section}", detail={"to": after}
        )
        changed.append(section)
    session.commit()
    return changed


def add_closure(
    session: Session, starts_at: datetime, ends_at: datetime, message: str | None, actor_id: int | None
) -> None:
    """Close the line between two aware moments with an optional message of its own."""
    settings = load_line_settings(session)
    item = {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(), "message": (message or "").strip()}
    settings.closures = sorted([*settings.closures, item], key=lambda closure: closure["starts_at"])
    save_line_settings(session, settings, actor_id)


def remove_closure(session: Session, index: int, actor_id: int | None) -> bool:
    """Remove the closure at `index` (as listed); return False when there is none."""
    settings = load_line_settings(session)
    if not 0 <= index < len(settings.closures):
        return False
    settings.closures = [closure for position, closure in enumerate(settings.closures) if position != index]
    save_line_settings(session, settings, actor_id)
    return True
