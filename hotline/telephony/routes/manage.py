"""The managers' telephony settings page: voice, prompts, hours, holidays, closures, emergency numbers, queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hotline import nav
from hotline.access import require_role
from hotline.clock import hotline_zone, utcnow
from hotline.extensions import db
from hotline.telephony import prompts
from hotline.telephony.exceptions import PromptRefused
from hotline.telephony.forms import UNUSED, ClosureForm, TelephonySettingsForm, parse_ranges
from hotline.telephony.hours import ServiceCalendar
from hotline.telephony.line_settings import (
    CRISIS_KEY,
    DAYS,
    MENU_KEYS,
    PROMPT_NAMES,
    LineSettings,
    Prompt,
    add_closure,
    load_line_settings,
    remove_closure,
    save_line_settings,
)
from hotline.vocabulary import Role

bp = Blueprint("telephony_manage", __name__, url_prefix="/manage/telephony")


def form_from_settings(settings: LineSettings) -> TelephonySettingsForm:
    """Fill the form with the stored settings."""
    data: dict[str, Any] = {
        "language": settings.language,
        "voice": settings.voice,
        "open_on_holidays": settings.open_on_holidays,
        "emergency_numbers": "\n".join(f"{n['label']} {n['number']}" for n in settings.emergency_numbers),
        "max_wait_seconds": settings.max_wait_seconds,
        "announce_every_seconds": settings.announce_every_seconds,
        "average_handle_seconds": settings.average_handle_seconds,
        "hold_audio_url": settings.hold_audio_url or "",
    }
    for day in DAYS:
        data[f"hours_{day}"] = ", ".join(f"{start}-{end}" for start, end in settings.weekly_hours.get(day, []))
    for name in PROMPT_NAMES:
        prompt = settings.prompt(name)
        data[f"prompt_{name}"] = prompt.text
        data[f"audio_{name}"] = prompt.audio_url or ""
    for key in MENU_KEYS:
        data[f"menu_{key}"] = settings.menu.get(key, UNUSED)
    return TelephonySettingsForm(data=data)


def settings_from_form(form: TelephonySettingsForm, settings: LineSettings) -> LineSettings:
    """Copy a valid form into the settings."""
    settings.language = form.language.data.strip()
    settings.voice = form.voice.data.strip()
    settings.open_on_holidays = bool(form.open_on_holidays.data)
    settings.emergency_numbers = [
        {"label": line.rsplit(None, 1)[0], "number": line.rsplit(None, 1)[1]}
        for line in (line.strip() for line in (form.emergency_numbers.data or "").splitlines())
        if line
    ]
    settings.max_wait_seconds = form.max_wait_seconds.data
    settings.announce_every_seconds = form.announce_every_seconds.data
    settings.average_handle_seconds = form.average_handle_seconds.data
    settings.hold_audio_url = (form.hold_audio_url.data or "").strip() or None
    settings.weekly_hours = {day: parse_ranges(getattr(form, f"hours_{day}").data or "") for day in DAYS}
    settings.prompts = {
        name: Prompt(
            getattr(form, f"prompt_{name}").data.strip(), (getattr(form, f"audio_{name}").data or "").strip() or None
        )
        for name in PROMPT_NAMES
    }
    settings.menu = form.menu_mapping()
    return settings


def refusal_message(reason: str) -> str:
    """Say why an uploaded recording was refused."""
    limit = prompts.MAX_BYTES // (1024 * 1024)
    messages = {
        "empty": _("The file is empty."),
        "too-large": _("The file is larger than %(megabytes)s MB.", megabytes=limit),
        "type": _("Only WAV or MP3 files can be used."),
        "unreadable": _("The audio in this file cannot be read: save it again as WAV or MP3."),
        "too-long": _("The recording is longer than %(minutes)s minutes.", minutes=int(prompts.MAX_SECONDS // 60)),
    }
    return messages.get(reason, messages["unreadable"])


def prepared_uploads(form: TelephonySettingsForm) -> dict[str, prompts.PreparedAudio] | None:
    """Check and convert every recording chosen on the form; None (errors on the fields) when one is refused."""
    uploads: dict[str, prompts.PreparedAudio] = {}
    refused = False
    for name in PROMPT_NAMES:
        field = form[f"upload_{name}"]
        upload = field.data
        if not upload or not getattr(upload, "filename", None):
            continue
        try:
            uploads[name] = prompts.prepare(upload.filename, upload.read(prompts.MAX_BYTES + 1))
        except PromptRefused as exc:
            field.errors = [*field.errors, refusal_message(exc.reason)]
            refused = True
    return None if refused else uploads


def menu_prompt_outdated(before: LineSettings, after: LineSettings) -> bool:
    """Return whether the keys changed while the spoken menu (text and audio) stayed the same."""
    return before.menu != after.menu and before.prompt("menu") == after.prompt("menu")


def render_page(
    form: TelephonySettingsForm, closure_form: ClosureForm, settings: LineSettings, status: int = 200
) -> Any:
    """Render the settings page."""
    calendar = ServiceCalendar(settings, hotline_zone())
    closures = [
        (index, datetime.fromisoformat(item["starts_at"]), datetime.fromisoformat(item["ends_at"]), item.get("message"))
        for index, item in enumerate(settings.closures)
    ]
    return (
        render_template(
            "telephony/settings.html",
            form=form,
            closure_form=closure_form,
            closures=closures,
            days=DAYS,
            prompt_names=PROMPT_NAMES,
            recordings=settings.recordings,
            recording_limits={"types": prompts.ALLOWED, "megabytes": prompts.MAX_BYTES // (1024 * 1024)},
            crisis_key=CRISIS_KEY,
            hours_text=calendar.hours_text(get_locale().language),
        ),
        status,
    )


@bp.get("")
@require_role(Role.MANAGER)
def settings_page() -> Any:
    """Show the phone line's settings."""
    settings = load_line_settings(db.session)
    return render_page(form_from_settings(settings), ClosureForm(), settings)


@bp.post("")
@require_role(Role.MANAGER)
def save_settings() -> Any:
    """Save the phone line's settings (each changed section is audited)."""
    form = TelephonySettingsForm()
    settings = load_line_settings(db.session)
    valid = form.validate()
    uploads = prepared_uploads(form)
    if not valid or uploads is None:
        return render_page(form, ClosureForm(), settings, 422)
    before = load_line_settings(db.session)
    now = utcnow()
    for name, audio in uploads.items():
        prompts.put(db.session, name, audio, current_user.id, now)
    changed = save_line_settings(db.session, settings_from_form(form, settings), current_user.id, now)
    flash(_("Settings saved.") if changed or uploads else _("Nothing changed."), "success")
    if menu_prompt_outdated(before, settings):
        # Callers only know the keys from the prompt: say so rather than guess a Mandarin text.
        flash(
            _("The menu keys changed but the Menu prompt did not: update it so callers hear the new keys."), "warning"
        )
    return redirect(url_for("telephony_manage.settings_page"))


@bp.post("/closures")
@require_role(Role.MANAGER)
def create_closure() -> Any:
    """Close the line for a period (a typhoon day) with its own message."""
    closure_form = ClosureForm()
    settings = load_line_settings(db.session)
    if not closure_form.validate():
        return render_page(form_from_settings(settings), closure_form, settings, 422)
    zone = hotline_zone()
    add_closure(
        db.session,
        closure_form.starts_at.data.replace(tzinfo=zone),
        closure_form.ends_at.data.replace(tzinfo=zone),
        closure_form.message.data,
        current_user.id,
    )
    flash(_("Closure added."), "success")
    return redirect(url_for("telephony_manage.settings_page"))


@bp.post("/closures/<int:index>/delete")
@require_role(Role.MANAGER)
def delete_closure(index: int) -> Any:
    """Remove a closure."""
    if remove_closure(db.session, index, current_user.id):
        flash(_("Closure removed."), "success")
    return redirect(url_for("telephony_manage.settings_page"))


def register_nav(app: Flask) -> None:
    """Link the settings page for managers."""
    nav.register(app, "telephony_manage.settings_page", _l("Phone line"), Role.MANAGER, 80)
