"""default prompts in Chinese punctuation, and the next-in-line prompt that promises no answer

Revision ID: 1790_001
Revises: 1800_002
Create Date: 2026-12-04 19:00:00

The line's stored prompts (`telephony.prompts`) keep every text as it was when a
manager last saved the settings page, defaults included. A stored text equal to
an earlier default is replaced by the new default: full-width punctuation, and a
next-in-line prompt that says the expected wait and the offer to leave a message
instead of promising that a worker answers at once. Texts a manager wrote are
left as they are. Downgrade puts the earlier defaults back the same way.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "1790_001"
down_revision = "1800_002"
branch_labels = None
depends_on = None

KEY = "telephony.prompts"
UPDATE_POSTGRESQL = sa.text("UPDATE settings SET value = CAST(:value AS JSONB) WHERE key = :key")
UPDATE_OTHER = sa.text("UPDATE settings SET value = :value WHERE key = :key")

DEFAULTS = {
    "greeting": (
        "您好,这里是社会工作服务热线。",
        "您好，这里是社会工作服务热线。",
    ),
    "privacy": (
        "为了更好地为您服务,您的来电信息将被记录并严格保密。",
        "为了更好地为您服务，您的来电信息将被记录并严格保密。",
    ),
    "menu": (
        "信息和政策咨询请按1;情绪疏导请按2;家庭教育请按3;资源链接请按4;需要律师、心理咨询师等专家请按5。如遇危机或紧急情况,请按0。",
        "信息和政策咨询请按1；情绪疏导请按2；家庭教育请按3；资源链接请按4；需要律师、心理咨询师等专家请按5。如遇危机或紧急情况，请按0。",
    ),
    "invalid": (
        "对不起,您没有选择或选择有误。",
        "对不起，您没有选择或选择有误。",
    ),
    "crisis": (
        "我们将优先为您接通工作人员,请不要挂机。",
        "我们将优先为您接通工作人员，请不要挂机。",
    ),
    "queued": (
        "正在为您转接工作人员,请稍候。",
        "正在为您转接工作人员，请稍候。",
    ),
    "position": (
        "您前面还有{ahead}位来电者,预计等待约{minutes}分钟。请不要挂机。",
        "您前面还有{ahead}位来电者，预计等待约{minutes}分钟。请不要挂机。",
    ),
    "next_in_line": (
        "您是下一位,工作人员马上为您接听。",
        "您是下一位，预计等待约{minutes}分钟。如果等待时间过长，我们会请您留言或为您安排回电。请不要挂机。",
    ),
    "max_wait": (
        "很抱歉让您久等了,工作人员都在忙。",
        "很抱歉让您久等了，工作人员都在忙。",
    ),
    "options": (
        "留言请按1;需要我们给您回电,请按2。",
        "留言请按1；需要我们给您回电，请按2。",
    ),
    "closed": (
        "您好,这里是社会工作服务热线。现在是非服务时间。我们的服务时间是{hours}。",
        "您好，这里是社会工作服务热线。现在是非服务时间。我们的服务时间是{hours}。",
    ),
    "holiday": (
        "您好,这里是社会工作服务热线。今天是法定节假日,热线暂停服务。我们的服务时间是{hours}。",
        "您好，这里是社会工作服务热线。今天是法定节假日，热线暂停服务。我们的服务时间是{hours}。",
    ),
    "closure": (
        "您好,这里是社会工作服务热线。因特殊情况,热线暂停服务。",
        "您好，这里是社会工作服务热线。因特殊情况，热线暂停服务。",
    ),
    "emergency": (
        "如遇紧急情况,请拨打{numbers}。",
        "如遇紧急情况，请拨打{numbers}。",
    ),
    "voicemail": (
        "请在提示音后留言,并留下您的联系方式。说完后请按井号键或直接挂机。",
        "请在提示音后留言，并留下您的联系方式。说完后请按井号键或直接挂机。",
    ),
    "voicemail_thanks": (
        "您的留言已收到,我们会尽快与您联系。再见。",
        "您的留言已收到，我们会尽快与您联系。再见。",
    ),
    "callback_confirmed": (
        "我们已记下您的回电请求,工作人员会尽快给您回电。再见。",
        "我们已记下您的回电请求，工作人员会尽快给您回电。再见。",
    ),
    "sms_offer": (
        "如需接收回电确认短信,请按1。",
        "如需接收回电确认短信，请按1。",
    ),
    "sms_consent_thanks": (
        "确认短信将发送到您的手机,回复TD可退订。再见。",
        "确认短信将发送到您的手机，回复TD可退订。再见。",
    ),
    "callback_no_number": (
        "很抱歉,您的号码没有显示,我们无法回电。请留言并说出您的联系方式。",
        "很抱歉，您的号码没有显示，我们无法回电。请留言并说出您的联系方式。",
    ),
    "worker_missed": (
        "工作人员暂时未能接听,我们会继续为您排队,您仍在队列的最前面。",
        "工作人员暂时未能接听，我们会继续为您排队，您仍在队列的最前面。",
    ),
    "apology": (
        "很抱歉,系统暂时出现问题。",
        "很抱歉，系统暂时出现问题。",
    ),
    "goodbye": (
        "感谢您的来电,再见。",
        "感谢您的来电，再见。",
    ),
    "on_hold": (
        "您的通话已被保持,工作人员马上回来,请不要挂机。",
        "您的通话已被保持，工作人员马上回来，请不要挂机。",
    ),
}
"""prompt name -> (the earlier default, the new default)."""


def rewrite(before: int, after: int) -> None:
    bind = op.get_bind()
    row = bind.execute(sa.text("SELECT value FROM settings WHERE key = :key"), {"key": KEY}).first()
    if row is None:
        return
    value = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    prompts = dict(value.get("prompts") or {})
    changed = False
    for name, texts in DEFAULTS.items():
        stored = prompts.get(name)
        if isinstance(stored, dict) and stored.get("text") == texts[before]:
            prompts[name] = {**stored, "text": texts[after]}
            changed = True
    if changed:
        postgresql = bind.dialect.name == "postgresql"
        update = UPDATE_POSTGRESQL if postgresql else UPDATE_OTHER
        bind.execute(update, {"value": json.dumps({**value, "prompts": prompts}, ensure_ascii=False), "key": KEY})


def upgrade():
    rewrite(0, 1)


def downgrade():
    rewrite(1, 0)
