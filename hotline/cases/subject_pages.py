"""Supervisors' pages for PIPL subject requests: find what is held about a caller, export it, erase it."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, render_template, send_file
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import require_role
from hotline.cases import need_to_know, subject_archive, subjects
from hotline.cases.forms import EraseForm, SubjectForm
from hotline.cases.routes import bp
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.telephony.providers import get_provider
from hotline.vocabulary import Role


def supervisor_only() -> None:
    """Refuse managers and admins: they read figures, not what is held about a caller."""
    if not need_to_know.reads_every_case(current_user):
        abort(403)


def number_of(form: SubjectForm) -> str | None:
    """Return the form's number in E.164, or None with an error beside the field."""
    try:
        return subjects.parse_number(form.phone.data, current_app.config.get("DEFAULT_REGION", "CN"))
    except subjects.NotANumber:
        form.phone.errors = [*form.phone.errors, _("This is not a phone number.")]
        return None


def render_index(form: SubjectForm | None = None, status: int = 200) -> Any:
    """Render the requests page: the look-up form and the requests served."""
    return render_template(
        "cases/subjects.html",
        form=form or SubjectForm(),
        served=subjects.served_requests(db.session),
        hold_days=subjects.legal_hold(db.session).days,
    ), status


@bp.get("/cases/subjects")
@require_role(Role.SUPERVISOR)
def subject_requests() -> Any:
    """Show the subject-request form and the requests served so far."""
    supervisor_only()
    return render_index()


@bp.post("/cases/subjects/find")
@require_role(Role.SUPERVISOR)
def subject_find() -> Any:
    """Find everything held about a caller's number (audited, recorded as an access request)."""
    supervisor_only()
    form = SubjectForm()
    number = number_of(form) if form.validate_on_submit() else None
    if number is None:
        return render_index(form, 422)
    data = subjects.find(db.session, number, form.requested_by.data, current_user, utcnow())
    erase_form = EraseForm(phone=form.phone.data, requested_by=form.requested_by.data)
    hold = subjects.legal_hold(db.session)
    now = utcnow()
    kept = {case.id: subjects.why_kept(case, hold, now) for case in data.cases}
    return render_template("cases/subject_found.html", data=data, form=form, erase_form=erase_form, kept=kept)


@bp.post("/cases/subjects/export")
@require_role(Role.SUPERVISOR)
def subject_export() -> Any:
    """Download what is held about the caller, for them: a zip of the JSON and their recordings (audited)."""
    supervisor_only()
    form = SubjectForm()
    number = number_of(form) if form.validate_on_submit() else None
    if number is None:
        return render_index(form, 422)
    archive = subject_archive.export_archive(
        db.session, number, form.requested_by.data, current_user, utcnow(), get_provider()
    )
    return send_file(archive.file, mimetype="application/zip", as_attachment=True, download_name=archive.filename)


@bp.post("/cases/subjects/erase")
@require_role(Role.SUPERVISOR)
def subject_erase() -> Any:
    """Erase what may be erased about the caller: closed cases past the legal hold and their calls (recorded)."""
    supervisor_only()
    form = EraseForm()
    number = number_of(form) if form.validate_on_submit() else None
    if number is None:
        return render_index(form, 422)
    erasure = subjects.erase(db.session, number, form.requested_by.data, current_user, utcnow(), get_provider())
    return render_template("cases/subject_erased.html", erasure=erasure)
