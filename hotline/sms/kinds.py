"""Message kinds sent by template SMS: each maps to a template id and an ordered list of parameters.

Alibaba templates name their variables (`${code}`) and take TemplateParam as a JSON
object; Tencent templates number them (`{1}`, `{2}`) and take TemplateParamSet in
that order. A kind's entry holds the template id, the parameters in the
template's order, the template text as registered (for the preview and the
check) and the template's declared limits. Neither provider lets a variable carry
a link, so no kind offers one: requests carry the reply code only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from hotline.clock import local

PROVIDERS = ("alibaba", "tencent")
DEFAULT_MAX_LENGTH = {"alibaba": 35, "tencent": 6}
"""Per-variable limits: Alibaba's notification variables take 35 characters; Tencent's FAQ gives 6 for
non-verification templates on many accounts (operators enter what their account allows)."""
MAX_PARAMS = 10
ALIBABA_VARIABLE = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_]{0,24})\}")
TENCENT_VARIABLE = re.compile(r"\{(\d{1,2})\}")
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


@dataclass(frozen=True)
class Kind:
    """A message the project sends by SMS and the values it can fill in."""

    name: str
    label: Any
    default_text: str
    """A template text to register with Alibaba (Tencent: the same with {1}, {2}… in this order)."""
    fields: tuple[tuple[str, Any, str], ...] = ()
    """(parameter name, its label, a sample value) in the default text's order."""

    @property
    def parameters(self) -> dict[str, Any]:
        """Parameter name → its label."""
        return {name: label for name, label, _sample in self.fields}

    @property
    def samples(self) -> dict[str, str]:
        """Parameter name → a typical value, for the preview and the length check."""
        return {name: sample for name, _label, sample in self.fields}


NO = ("no", _l("referral number"), "128")
CODE = ("code", _l("reply code"), "4821")
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "escalation_request",
            _l("Escalation request"),
            "社工热线转介${no}（${urgency}）：${reason}，${area}。回复1 ${code}接受，回复2 ${code}拒绝。",
            (
                NO,
                ("urgency", _l("urgency"), "紧急"),
                ("reason", _l("reason"), "上门探访"),
                ("area", _l("area"), "甲街道东里社区"),
                CODE,
            ),
        ),
        Kind(
            "reminder",
            _l("Reminder"),
            "提醒：社工热线转介${no}仍待您回复。回复1 ${code}接受，回复2 ${code}拒绝。",
            (NO, CODE),
        ),
        Kind(
            "acknowledgement",
            _l("Acknowledgement confirmation"),
            "社工热线转介${no}：${result}。",
            (NO, ("result", _l("result"), "已接受")),
        ),
        Kind(
            "rota_notice",
            _l("Rota notice"),
            "排班通知：${notice}（${date}），详情请登录热线系统查看。",
            (("notice", _l("notice"), "排班有变动"), ("date", _l("date"), "12月7日")),
        ),
        Kind(
            "shift_reminder",
            _l("Shift reminder"),
            "值班提醒：您的${shift}将于${time}开始。",
            (("shift", _l("shift"), "上午班"), ("time", _l("start time"), "12月7日09:00")),
        ),
        Kind(
            "callback_confirmation",
            _l("Callback confirmation"),
            "您的回电请求已登记，社工预计${time}给您回电。回复TD退订",
            (("time", _l("expected time"), "12月3日15:00前"),),
        ),
        Kind(
            "referral_progress",
            _l("Referral progress"),
            "您的求助${status}，承接单位：${station}。回复TD退订",
            (("station", _l("station"), "甲街道站"), ("status", _l("progress"), "已受理")),
        ),
        Kind("survey", _l("Survey"), "感谢您致电社工热线，请回复1-5为本次服务打分（5为非常满意）。回复TD退订"),
        Kind(
            "knowledge_review",
            _l("Knowledge review reminder"),
            "热线知识库：答案“${question}”需要复核，请登录热线系统查看并提出修改。",
            (("question", _l("question"), "如何申请临时救助"),),
        ),
        Kind(
            "workorder_reminder",
            _l("Work-order reminder"),
            "热线工单${ref}：${state}，请尽快处理。",
            (("ref", _l("work order"), "GD0310007"), ("state", _l("what is late"), "已超签收时限")),
        ),
        Kind("test", _l("Test message"), "社工热线测试短信：本号码将收到热线的转介通知，无需回复。"),
    )
}
CALLER_KINDS = ("callback_confirmation", "referral_progress", "survey")
"""Kinds sent to callers: only with consent, never after an opt-out (回复TD退订)."""


def day_text(moment: datetime) -> str:
    """Return a day as an SMS reads it, in the hotline's zone: "12月7日"."""
    at = local(moment)
    return f"{at.month}月{at.day}日"


def moment_text(moment: datetime) -> str:
    """Return a moment as an SMS reads it, in the hotline's zone: "12月7日09:00"."""
    return f"{day_text(moment)}{local(moment):%H:%M}"


def default_entry(provider: str, kind: Kind) -> dict[str, Any]:
    """Return a kind's unconfigured entry: no template id yet, the default text and order."""
    names = list(kind.parameters)
    text = kind.default_text
    if provider == "tencent":
        for position, name in enumerate(names, start=1):
            text = text.replace("${" + name + "}", "{" + str(position) + "}")
    return {
        "template_id": "",
        "params": names,
        "text": text,
        "max_length": DEFAULT_MAX_LENGTH[provider],
        "max_params": max(len(names), 1),
    }


def placeholders(provider: str, text: str) -> list[str]:
    """Return the template text's variables in order of appearance (names, or positions for Tencent)."""
    pattern = ALIBABA_VARIABLE if provider == "alibaba" else TENCENT_VARIABLE
    return pattern.findall(text or "")


def clip(value: str, limit: int) -> str:
    """Shorten a value to the template's per-variable limit."""
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: max(limit - 1, 1)] + "…"


def check_entry(provider: str, kind: Kind, entry: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Check a template entry; return (errors that refuse the save, warnings about the samples)."""
    errors: list[str] = []
    warnings: list[str] = []
    params = list(entry.get("params") or [])
    unknown = [p for p in params if p not in kind.parameters]
    if unknown:
        errors.append(str(_l("Unknown parameters: %(names)s.", names=", ".join(unknown))))
    if len(set(params)) != len(params):
        errors.append(str(_l("A parameter is listed twice.")))
    max_params = int(entry.get("max_params") or 0)
    if len(params) > max_params:
        errors.append(
            str(
                _l(
                    "The template declares %(max)s parameters at most; %(count)s are listed.",
                    max=max_params,
                    count=len(params),
                )
            )
        )
    found = placeholders(provider, entry.get("text") or "")
    if provider == "alibaba":
        if sorted(set(found)) != sorted(params):
            errors.append(
                str(
                    _l(
                        "The template text's variables (%(found)s) do not match the parameters.",
                        found=", ".join(found) or "—",
                    )
                )
            )
    else:
        expected = [str(n) for n in range(1, len(params) + 1)]
        if sorted(set(found), key=int) != expected:
            errors.append(str(_l("The template text needs {1} to {%(count)s}, one per parameter.", count=len(params))))
    if LINK.search(entry.get("text") or ""):
        errors.append(str(_l("Links are not allowed in SMS templates here; the message carries the reply code.")))
    limit = int(entry.get("max_length") or 0)
    for name in params:
        sample = kind.samples.get(name, "")
        if name in kind.samples and len(sample) > limit:
            warnings.append(
                str(
                    _l(
                        "%(name)s is often longer than %(limit)s characters and will be shortened (e.g. %(sample)s).",
                        name=kind.parameters.get(name, name),
                        limit=limit,
                        sample=clip(sample, limit),
                    )
                )
            )
    return errors, warnings


def ordered_values(entry: dict[str, Any], values: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the entry's parameters in template order, each clipped to the declared limit."""
    limit = int(entry.get("max_length") or DEFAULT_MAX_LENGTH["alibaba"])
    return [(name, clip(values.get(name, ""), limit)) for name in entry.get("params") or []]


def preview(provider: str, entry: dict[str, Any], sign_name: str, values: dict[str, Any]) -> str:
    """Return the message as the recipient would read it, for the settings page."""
    text = entry.get("text") or ""
    for position, (name, value) in enumerate(ordered_values(entry, values), start=1):
        text = text.replace("${" + name + "}" if provider == "alibaba" else "{" + str(position) + "}", value)
    return f"【{sign_name}】{text}" if sign_name else text
