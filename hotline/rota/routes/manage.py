"""Managers' rota pages: the editor, publishing, generating weeks, the calendar, rules, versions, requests."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline import audit
from hotline.access import require_role
from hotline.clock import local, utcnow
from hotline.extensions import db
from hotline.rota import board, editing, publishing, swaps
from hotline.rota.exceptions import CalendarNotConfirmed, NotFound, PublishBlocked, RequestNotValid
from hotline.rota.forms import (
    AutoDraftForm,
    CalendarDayForm,
    ConfirmYearForm,
    DecisionForm,
    GenerateForm,
    PublishForm,
    RulesForm,
)
from hotline.rota.routes import bp
from hotline.rota.rules import RotaRules, load_rules, save_rules
from hotline.rota.strings import editor_strings
from hotline.vocabulary import CertificationLevel, Role, Service, choices
from hotline.workdays import services as calendar
from hotline.workdays.exceptions import NoHolidaysNotAcknowledged


def anchor_date() -> date:
    """Return ?date= or today (local)."""
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return local(utcnow()).date()


def render_editor(publish_form: PublishForm | None = None, status: int = 200, **extra: Any) -> Any:
    """Render the editor page for ?date= and ?view=."""
    view = "month" if request.args.get("view") == "month" else "week"
    anchor = anchor_date()
    data = board.board(db.session, anchor, view, utcnow())
    first, last = date.fromisoformat(data["from"]), date.fromisoformat(data["to"])
    publish_form = publish_form or PublishForm(date_from=first, date_to=last)
    data["strings"] = editor_strings()
    data["zone"] = current_app.config["HOTLINE_TZ"]
    data["levels"] = choices(CertificationLevel)
    data["skills"] = choices(Service)
    return render_template(
        "rota/editor.html",
        data=data,
        data_json=json.dumps(data, ensure_ascii=False).replace("</", "<\\/"),
        view=view,
        anchor=anchor,
        previous=anchor - (timedelta(days=28) if view == "month" else timedelta(days=7)),
        following=anchor + (timedelta(days=28) if view == "month" else timedelta(days=7)),
        publish_form=publish_form,
        generate_form=GenerateForm(
            monday=first if first.isoweekday() == 1 else first - timedelta(days=first.weekday()), weeks=4
        ),
        autodraft_form=AutoDraftForm(date_from=first, date_to=last),
        versions=publishing.versions(db.session, 5),
        published_unversioned=publishing.published_before_any_version(db.session),
        **extra,
    ), status


@bp.get("/rota")
@require_role(Role.MANAGER)
def editor() -> Any:
    """Show the rota editor (week or month)."""
    return render_editor()


@bp.post("/rota/publish")
@require_role(Role.MANAGER)
def publish() -> Any:
    """Publish the draft of a period."""
    form = PublishForm()
    if not form.validate_on_submit():
        return render_editor(form, 422)
    try:
        version = publishing.publish(
            db.session, form.date_from.data, form.date_to.data, current_user, utcnow(), form.override_reason.data
        )
    except PublishBlocked as blocked:
        form.override_reason.errors.append(
            _(
                "The draft has %(count)d errors. Fix them, or give a reason to publish anyway.",
                count=len(blocked.errors),
            )
        )
        return render_editor(form, 422, blocked=blocked.errors)
    if version is None:
        flash(_("Nothing has changed since the last publish."), "info")
    else:
        flash(_("Published: %(count)d changes.", count=len(version.changes)), "success")
    return redirect(url_for("rota.editor", date=form.date_from.data.isoformat()))


@bp.post("/rota/generate")
@require_role(Role.MANAGER)
def generate() -> Any:
    """Generate draft weeks from the pattern."""
    form = GenerateForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("rota.editor"))
    try:
        made = editing.generate_weeks(db.session, form.monday.data, form.weeks.data, utcnow())
    except CalendarNotConfirmed as refused:
        flash(
            _(
                "Please confirm the calendar of %(years)s before generating weeks.",
                years=", ".join(map(str, refused.years)),
            ),
            "error",
        )
        return redirect(url_for("rota.calendar_page", year=refused.years[0]))
    flash(_("%(count)d shifts added to the draft.", count=len(made)), "success")
    return redirect(url_for("rota.editor", date=form.monday.data.isoformat()))


@bp.get("/rota/calendar")
@require_role(Role.MANAGER)
def calendar_page() -> Any:
    """Show a year's calendar: holidays, make-up days, manager edits, and whether it is confirmed."""
    year = request.args.get("year", type=int) or local(utcnow()).year
    if not 2000 <= year <= 2100:
        abort(404)
    days = calendar.days(db.session, date(year, 1, 1), date(year, 12, 31))
    record = calendar.seed_year(db.session, year)
    db.session.commit()
    special = [row for _, row in sorted(days.items()) if row.kind == "holiday" or row.makeup or row.source == "manager"]
    return render_template(
        "rota/calendar.html",
        year=year,
        record=record,
        special=special,
        form=CalendarDayForm(),
        confirm_form=ConfirmYearForm(),
        days=days,
        holiday_label=calendar.holiday_label,
        source_label=calendar.source_label,
    )


@bp.post("/rota/calendar/day")
@require_role(Role.MANAGER)
def calendar_day() -> Any:
    """Change one day of the calendar."""
    form = CalendarDayForm()
    if not form.validate_on_submit():
        flash(_("Please give a date and a kind of day."), "error")
        return redirect(url_for("rota.calendar_page"))
    calendar.set_day(db.session, form.day.data, form.kind.data, form.holiday_name.data, current_user.id)
    flash(_("The calendar has been changed."), "success")
    return redirect(url_for("rota.calendar_page", year=form.day.data.year))


@bp.post("/rota/calendar/<int:year>/confirm")
@require_role(Role.MANAGER)
def confirm_calendar(year: int) -> Any:
    """Confirm a year's calendar so weeks can be generated."""
    if not 2000 <= year <= 2100:
        abort(404)
    form = ConfirmYearForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("rota.calendar_page", year=year))
    try:
        calendar.confirm_year(db.session, year, current_user.id, utcnow(), no_holidays=form.no_holidays.data)
    except NoHolidaysNotAcknowledged:
        flash(
            _(
                "The calendar of %(year)d has no public holidays. Enter them first, or tick "
                "\u201cThis year has no public holidays\u201d to confirm it as it is.",
                year=year,
            ),
            "error",
        )
        return redirect(url_for("rota.calendar_page", year=year))
    audit.record(
        db.session,
        "calendar.confirmed",
        actor_id=current_user.id,
        target=f"calendar:{year}",
        detail={"no_holidays": bool(form.no_holidays.data)},
    )
    db.session.commit()
    flash(_("The calendar of %(year)d is confirmed.", year=year), "success")
    return redirect(url_for("rota.calendar_page", year=year))


@bp.route("/rota/rules", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def rules_page() -> Any:
    """Show and change the rota's limits and targets."""
    rules = load_rules(db.session)
    form = RulesForm(data=rules.as_dict())
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in RotaRules().as_dict() if hasattr(form, name)}
        save_rules(db.session, RotaRules(**{**rules.as_dict(), **values}), current_user.id)
        flash(_("The rules have been saved."), "success")
        return redirect(url_for("rota.rules_page"))
    return render_template("rota/rules.html", form=form), 422 if form.errors else 200


@bp.get("/rota/versions")
@require_role(Role.MANAGER)
def versions_page() -> Any:
    """List the published versions with what changed."""
    return render_template(
        "rota/versions.html",
        versions=publishing.versions(db.session, 50),
        published_unversioned=publishing.published_before_any_version(db.session),
        parse=datetime.fromisoformat,
    )


@bp.get("/rota/requests")
@require_role(Role.MANAGER)
def requests_page() -> Any:
    """List pending swap and leave requests for a decision."""
    pending_swaps, pending_leaves = swaps.pending(db.session)
    impacts = {leave.id: swaps.leave_shifts(db.session, leave, utcnow()) for leave in pending_leaves}
    return render_template(
        "rota/requests.html", swaps=pending_swaps, leaves=pending_leaves, impacts=impacts, form=DecisionForm()
    )


@bp.post("/rota/requests/<kind>/<int:request_id>")
@require_role(Role.MANAGER)
def decide(kind: str, request_id: int) -> Any:
    """Approve or refuse a swap or leave request."""
    if kind not in ("swap", "leave"):
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if kind == "swap":
            swaps.decide_swap(db.session, request_id, form.approve.data, current_user, utcnow(), form.note.data)
            issues: list[Any] = []
        else:
            _leave, issues = swaps.decide_leave(
                db.session, request_id, form.approve.data, current_user, utcnow(), form.note.data
            )
    except NotFound:
        abort(404)
    except RequestNotValid as refused:
        flash(str(refused) + " " + "; ".join(e["message"] for e in refused.errors), "error")
        return redirect(url_for("rota.requests_page"))
    flash(_("The request has been approved.") if form.approve.data else _("The request has been refused."), "success")
    for issue in issues[:5]:
        flash(issue.message, "error" if issue.severity == "error" else "info")
    return redirect(url_for("rota.requests_page"))
