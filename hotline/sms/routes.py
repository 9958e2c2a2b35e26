"""SMS pages and callbacks: the manager's provider and template settings; the providers' reports and replies.

Neither Alibaba's HTTP push nor Tencent's callbacks are signed, so each callback
URL carries a secret token of this installation (shown on the settings page to
register with the provider); a wrong token gets a 404. Each callback answers in
the provider's documented shape: Alibaba `{"code": 0, "msg": …}`, Tencent
`{"result": 0, "errmsg": "OK"}`; a non-zero code makes the provider push again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import public, require_role
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.sms import configuration, services
from hotline.sms.forms import PROVIDER_LABELS, ProviderForm, TemplateForm
from hotline.sms.kinds import KINDS, PROVIDERS, check_entry, preview
from hotline.vocabulary import Role

bp = Blueprint("sms", __name__)
CALLBACK_REASON = "a provider's callback: the URL carries this installation's secret token"


def check_token(token: str) -> None:
    """Refuse a callback whose token is not this installation's (404, nothing said)."""
    expected = configuration.stored_callback_token(db.session)
    if not expected or not hmac.compare_digest(expected.encode(), token.encode()):
        abort(404)


def json_items() -> list[dict[str, Any]] | None:
    """Return the pushed JSON as a list of objects (Tencent's reply callback sends one object), or None."""
    data = request.get_json(silent=True)
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
    if items is None or not all(isinstance(item, dict) for item in items):
        return None
    return items


ANSWERS = {
    "alibaba": (lambda: jsonify(code=0, msg="成功"), lambda: jsonify(code=1, msg="expected a JSON array")),
    "tencent": (lambda: jsonify(result=0, errmsg="OK"), lambda: jsonify(result=1, errmsg="expected JSON")),
}
"""Each provider's documented answer to a push: taken, or refused (the provider pushes again)."""


def take_push(token: str, provider: str, handle: Callable[[dict[str, Any]], None]) -> Any:
    """Check the URL's token, hand each pushed object to `handle`, answer in the provider's shape."""
    check_token(token)
    items = json_items()
    taken, refused = ANSWERS[provider]
    if items is None:
        return refused(), 400
    for item in items:
        handle(item)
    return taken()


def alibaba_report_item(item: dict[str, Any]) -> None:
    """Record one SmsReport entry (by BizId)."""
    if item.get("biz_id"):
        services.record_report(
            db.session, "alibaba", str(item["biz_id"]), bool(item.get("success")), item.get("err_code"), utcnow()
        )


def alibaba_up_item(item: dict[str, Any]) -> None:
    """Handle one SmsUp entry (by sequence id)."""
    key = str(item.get("sequence_id") or "")
    if key:
        phone, content = str(item.get("phone_number") or ""), str(item.get("content") or "")
        services.handle_inbound(db.session, "alibaba", key, phone, content, utcnow())


def tencent_status_item(item: dict[str, Any]) -> None:
    """Record one status report (by sid, the SerialNo SendSms returned)."""
    if item.get("sid"):
        delivered = item.get("report_status") == "SUCCESS"
        services.record_report(db.session, "tencent", str(item["sid"]), delivered, item.get("errmsg"), utcnow())


def tencent_reply_item(item: dict[str, Any]) -> None:
    """Handle one reply (mobile, nationcode, text, time: keyed by their digest, Tencent sends no id)."""
    mobile, nation = str(item.get("mobile") or ""), str(item.get("nationcode") or "86")
    text = str(item.get("text") or "")
    key = hashlib.sha256(f"{nation}|{mobile}|{item.get('time')}|{text}".encode()).hexdigest()[:40]
    services.handle_inbound(db.session, "tencent", key, f"+{nation}{mobile}" if mobile else None, text, utcnow())


@bp.post("/sms/callbacks/alibaba/<token>/report")
@public(CALLBACK_REASON, csrf_exempt=True)
def alibaba_report(token: str) -> Any:
    """Take Alibaba's SmsReport push: delivery results by BizId."""
    return take_push(token, "alibaba", alibaba_report_item)


@bp.post("/sms/callbacks/alibaba/<token>/up")
@public(CALLBACK_REASON, csrf_exempt=True)
def alibaba_up(token: str) -> Any:
    """Take Alibaba's SmsUp push: replies (上行短信) by sequence id."""
    return take_push(token, "alibaba", alibaba_up_item)


@bp.post("/sms/callbacks/tencent/<token>/status")
@public(CALLBACK_REASON, csrf_exempt=True)
def tencent_status(token: str) -> Any:
    """Take Tencent's status callback: delivery results by sid."""
    return take_push(token, "tencent", tencent_status_item)


@bp.post("/sms/callbacks/tencent/<token>/reply")
@public(CALLBACK_REASON, csrf_exempt=True)
def tencent_reply(token: str) -> Any:
    """Take Tencent's reply callback (one object: mobile, nationcode, text, time)."""
    return take_push(token, "tencent", tencent_reply_item)


def callback_urls() -> dict[str, str]:
    """Return the callback URLs the operator registers with each provider."""
    token = configuration.callback_token(db.session)
    db.session.commit()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        "alibaba_report": f"{base}/sms/callbacks/alibaba/{token}/report",
        "alibaba_up": f"{base}/sms/callbacks/alibaba/{token}/up",
        "tencent_status": f"{base}/sms/callbacks/tencent/{token}/status",
        "tencent_reply": f"{base}/sms/callbacks/tencent/{token}/reply",
    }


@bp.route("/sms/settings", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def settings_page() -> Any:
    """Show and save the SMS provider, its accounts (secrets never shown back) and the templates' list."""
    current = configuration.provider_settings(db.session)
    form = ProviderForm()
    if request.method == "GET":
        form.provider.data = current["provider"]
        for name in PROVIDERS:
            for field, value in current[name].items():
                if field != "secret" and hasattr(form, f"{name}_{field}"):
                    getattr(form, f"{name}_{field}").data = value
    if form.validate_on_submit():
        configuration.save_provider(db.session, form.provider.data, form.accounts(), current_user.id)
        db.session.commit()
        flash(_("The SMS settings have been saved."), "success")
        return redirect(url_for("sms.settings_page"))
    sources = {name: configuration.secret_source(db.session, name) for name in PROVIDERS}
    tables = {name: configuration.templates(db.session, name) for name in PROVIDERS}
    return render_template(
        "sms/settings.html",
        form=form,
        sources=sources,
        tables=tables,
        kinds=KINDS,
        labels=PROVIDER_LABELS,
        urls=callback_urls(),
    ), (422 if form.errors else 200)


@bp.route("/sms/settings/templates/<provider>/<kind>", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def template_page(provider: str, kind: str) -> Any:
    """Edit one kind's template with a provider: preview it, check it against its limits, save it."""
    if provider not in PROVIDERS or kind not in KINDS:
        abort(404)
    message_kind = KINDS[kind]
    entry = configuration.templates(db.session, provider)[kind]
    form = TemplateForm(data={**entry, "params": ", ".join(entry["params"])} if request.method == "GET" else None)
    errors: list[str] = []
    warnings: list[str] = []
    shown = entry
    if form.validate_on_submit():
        shown = form.entry()
        errors, warnings = check_entry(provider, message_kind, shown)
        if not errors and request.form.get("action") == "save":
            configuration.save_template(db.session, provider, kind, shown, current_user.id)
            db.session.commit()
            flash(_("The template has been saved."), "success")
            return redirect(url_for("sms.settings_page"))
    elif request.method == "GET":
        errors, warnings = check_entry(provider, message_kind, entry)
    sign_name = configuration.provider_settings(db.session)[provider]["sign_name"]
    status = 422 if (form.errors or (errors and request.method == "POST")) else 200
    return render_template(
        "sms/template.html",
        form=form,
        provider=provider,
        provider_label=PROVIDER_LABELS[provider],
        kind=message_kind,
        errors=errors,
        warnings=warnings,
        preview=preview(provider, shown, sign_name, message_kind.samples),
    ), status
