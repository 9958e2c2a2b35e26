"""Directory pages: list, create and edit areas, stations, experts and organisations; CSV and
HSDS import and export (managers); finding a referral target (everyone on duty)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hotline.access import logged_in, require_role
from hotline.clock import utcnow
from hotline.directory import exchange, hsds, services, test_calls
from hotline.directory.exceptions import DuplicateEntry, ImportFailed, NoRobot
from hotline.directory.forms import (
    CHANNEL_CHOICES,
    CHOICE_FIELDS,
    WEEKDAYS,
    AreaForm,
    ExpertForm,
    OrganisationForm,
    StaffChannelsForm,
    StationForm,
    TargetSearchForm,
    UploadForm,
    VolunteerForm,
)
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station, Volunteer
from hotline.extensions import db
from hotline.privacy import mask_phone
from hotline.vocabulary import OrganisationKind, Role, VolunteerSkill, choices, label
from hotline.web import local_time

bp = Blueprint("directory", __name__)


@dataclass(frozen=True)
class Kind:
    """One directory table and how its pages show it."""

    name: str
    model: type
    form: type
    title: Any
    columns: tuple[tuple[Any, Callable[[Any], Any]], ...]


def names(items: Any) -> str:
    """Join names for a table cell."""
    return "、".join(item.name for item in items)


def labels(values: Any) -> str:
    """Join glossary labels for a table cell."""
    return "、".join(label(value) for value in values or [])


def weekday_names(days: Any) -> str:
    """Join ISO weekday numbers (1 = Monday) as weekday names for a table cell."""
    names = dict(WEEKDAYS)
    return "、".join(str(names.get(str(day), day)) for day in sorted(days or []))


KINDS = (
    Kind(
        "areas",
        Area,
        AreaForm,
        _l("Areas"),
        (
            (_l("Official code"), lambda e: e.code),
            (_l("Name"), lambda e: e.name),
            (_l("Level"), lambda e: label(e.level)),
            (_l("Part of"), lambda e: e.parent.name if e.parent else ""),
        ),
    ),
    Kind(
        "stations",
        Station,
        StationForm,
        _l("Stations"),
        (
            (_l("Name"), lambda e: e.name),
            (_l("Tier"), lambda e: label(e.tier)),
            (_l("Areas covered"), lambda e: names(e.areas_covered)),
            (_l("Duty contact"), lambda e: e.duty_contact_name or ""),
            (_l("Active"), lambda e: "✓" if e.active else ""),
        ),
    ),
    Kind(
        "experts",
        ExpertVolunteer,
        ExpertForm,
        _l("Expert volunteers"),
        (
            (_l("Name"), lambda e: e.name),
            (_l("Profession"), lambda e: e.profession),
            (_l("Skills"), lambda e: labels(e.skills)),
            (_l("Duty days"), lambda e: weekday_names(e.duty_weekdays)),
            (_l("Most open referrals"), lambda e: e.max_open_referrals),
            (_l("Active"), lambda e: "✓" if e.active else ""),
        ),
    ),
    Kind(
        "organisations",
        Organisation,
        OrganisationForm,
        _l("Organisations"),
        (
            (_l("Name"), lambda e: e.name),
            (_l("Type"), lambda e: label(e.kind, OrganisationKind)),
            (_l("Services offered"), lambda e: labels(e.services)),
            (_l("Area served"), lambda e: e.area.name if e.area else ""),
            (_l("Active"), lambda e: "✓" if e.active else ""),
        ),
    ),
    Kind(
        "volunteers",
        Volunteer,
        VolunteerForm,
        _l("Volunteers"),
        (
            (_l("Name"), lambda e: e.name),
            (_l("Skills"), lambda e: "、".join(label(s, VolunteerSkill) for s in e.skills or [])),
            (_l("Areas served"), lambda e: names(e.areas)),
            (_l("Available"), lambda e: availability(e)),
            (_l("Active"), lambda e: "✓" if e.active else ""),
        ),
    ),
)


def availability(volunteer: Volunteer) -> str:
    """Return a volunteer's availability for a table cell: days, then hours."""
    days = dict(WEEKDAYS)
    text = "、".join(str(days[str(d)]) for d in volunteer.available_weekdays or []) or str(_l("Any day"))
    if volunteer.available_from or volunteer.available_until:
        start = volunteer.available_from.strftime("%H:%M") if volunteer.available_from else ""
        end = volunteer.available_until.strftime("%H:%M") if volunteer.available_until else ""
        text += f" {start}–{end}"
    return text


def area_choices() -> list[tuple[int, str]]:
    """Return every area as a select choice."""
    return [
        (area.id, _("%(name)s (%(detail)s)", name=area.name, detail=area.code))
        for area in services.list_entries(db.session, Area)
    ]


def build_form(kind: Kind, entry: Any) -> Any:
    """Return the kind's form, filled from the entry on a first view."""
    extra: dict[str, Any] = {}
    if kind.form is not ExpertForm:
        extra["areas"] = area_choices()
    if entry is not None and request.method == "GET":
        if kind.model is Station:
            extra["areas_covered"] = [area.id for area in entry.areas_covered]
        if kind.model is ExpertVolunteer:
            extra["languages"] = ", ".join(entry.languages or [])
        if kind.model is Volunteer:
            extra["area_ids"] = [area.id for area in entry.areas]
        if kind.model is not Area:
            extra.update(channel_choices(entry))
        return kind.form(obj=entry, **extra)
    return kind.form(**extra)


def entry_fields(kind: Kind, form: Any) -> dict[str, Any]:
    """Turn the form's data into model fields."""
    fields = {name: value for name, value in form.data.items() if name != "csrf_token"}
    if kind.model is Station:
        fields["areas_covered"] = services.areas_by_ids(db.session, fields["areas_covered"] or [])
    if kind.model is ExpertVolunteer:
        fields["languages"] = [code.strip() for code in (fields["languages"] or "").split(",") if code.strip()]
    if kind.model is Volunteer:
        fields["areas"] = services.areas_by_ids(db.session, fields.pop("area_ids") or [])
    if "robot_kind" in fields:
        fields["notify_channels"] = form.preferences()
        for name in CHOICE_FIELDS:
            fields.pop(name)
        fields["robot_kind"] = fields["robot_kind"] or None
        fields["webhook_url"] = fields["webhook_url"] or None
        if not fields["robot_secret"]:
            fields.pop("robot_secret")  # an empty secret field keeps the secret saved
        if fields["robot_kind"] in (None, "wecom", "webhook"):
            fields["robot_secret"] = None
    return fields


def channel_choices(entry: Any) -> dict[str, Any]:
    """Return the form's choice fields from an entry's channels ("webhook": its robot's kind)."""
    order = [entry.robot_kind if value == "webhook" else value for value in entry.notify_channels or []]
    order = [value for position, value in enumerate(order) if value and value not in order[:position]]
    return dict(zip(CHOICE_FIELDS, order, strict=False))


def make_views(kind: Kind) -> None:
    """Register the list, create, edit, export and import pages of one kind."""

    def listing() -> Any:
        shown = request.args.get("type") or None
        if kind.model is not Organisation or shown not in {k.value for k in OrganisationKind}:
            shown = None
        entries = services.list_entries(db.session, kind.model, shown)
        types = choices(OrganisationKind) if kind.model is Organisation else []
        return render_template(
            "directory/list.html", kind=kind, entries=entries, upload=UploadForm(), types=types, shown=shown
        )

    def edit(entry_id: int | None = None) -> Any:
        entry = services.get_entry(db.session, kind.model, entry_id) if entry_id else None
        if entry_id and entry is None:
            abort(404)
        form = build_form(kind, entry)
        if form.validate_on_submit():
            try:
                services.save_entry(db.session, entry or kind.model(), entry_fields(kind, form), current_user.id)
            except DuplicateEntry as error:
                form[error.field].errors.append(_("Another entry already uses this."))
            else:
                flash(_("Saved."), "success")
                return redirect(url_for(f"directory.{kind.name}"))
        status = 422 if form.errors else 200
        tests = entry_tests(entry) if entry is not None and kind.model is not Area else {}
        return render_template(
            "directory/form.html",
            kind=kind,
            form=form,
            entry=entry,
            tests=tests,
        ), status

    def tests_state(entry_id: int) -> Any:
        entry = services.get_entry(db.session, kind.model, entry_id)
        if entry is None:
            abort(404)
        return jsonify(entry_tests(entry))

    def export() -> Any:
        body = "\ufeff" + exchange.export_csv(db.session, kind.name)  # the BOM makes spreadsheet apps read UTF-8
        services.record_exchange(db.session, "directory.export", current_user.id, kind.name, {"format": "csv"})
        return Response(
            body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={kind.name}.csv"}
        )

    def upload() -> Any:
        form = UploadForm()
        if form.validate_on_submit():
            try:
                text = form.file.data.read().decode("utf-8-sig")
                created, updated = exchange.import_csv(db.session, kind.name, text)
                services.record_exchange(
                    db.session, "directory.import", current_user.id, kind.name, {"created": created, "updated": updated}
                )
            except UnicodeDecodeError:
                flash(_("The file is not UTF-8 text."), "error")
            except ImportFailed as failure:
                for line, message in failure.errors[:20]:
                    flash(_("Line %(line)s: %(message)s", line=line, message=message), "error")
                flash(_("Nothing was imported."), "error")
            else:
                flash(_("Imported: %(created)s new, %(updated)s updated.", created=created, updated=updated), "success")
        else:
            flash(_("Choose a file."), "error")
        return redirect(url_for(f"directory.{kind.name}"))

    def test_message(entry_id: int) -> Any:
        entry = services.get_entry(db.session, kind.model, entry_id)
        if entry is None:
            abort(404)
        try:
            result = services.send_test_message(db.session, entry, test_text(), utcnow(), current_user.id)
        except NoRobot:
            flash(_("This entry has no group chat robot."), "error")
        else:
            if result.delivered:
                flash(_("The robot took the test message: it should show in the group now."), "success")
            else:
                flash(_("The robot did not take the test message: %(detail)s", detail=result.detail), "error")
        return redirect(url_for(f"directory.{kind.name}_edit", entry_id=entry_id))

    manager = require_role(Role.MANAGER)
    base = f"/directory/{kind.name}"
    if kind.model is not Area:
        bp.add_url_rule(
            f"{base}/<int:entry_id>/test-message", f"{kind.name}_test", manager(test_message), methods=["POST"]
        )
        bp.add_url_rule(f"{base}/<int:entry_id>/tests.json", f"{kind.name}_tests", manager(tests_state))
    bp.add_url_rule(f"{base}/", kind.name, manager(listing))
    bp.add_url_rule(f"{base}/new", f"{kind.name}_new", manager(edit), methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:entry_id>", f"{kind.name}_edit", manager(_copy(edit)), methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/export.csv", f"{kind.name}_export", manager(export))
    bp.add_url_rule(f"{base}/import", f"{kind.name}_import", manager(upload), methods=["POST"])


SMS_STATES = {
    "pending": _l("waiting to be sent"),
    "sending": _l("being sent"),
    "sent": _l("sent, no receipt yet"),
    "delivered": _l("delivered"),
    "undelivered": _l("not delivered"),
    "failed": _l("failed"),
    "uncertain": _l("uncertain (never resent)"),
    "cancelled": _l("cancelled"),
}
"""A test SMS's state as the directory page says it."""

CALL_STATES = {
    "calling": _l("calling"),
    "ringing": _l("ringing"),
    "in_progress": _l("answered, the message is playing"),
    "answered": _l("answered, the message was played"),
    "no_answer": _l("no answer"),
    "busy": _l("busy"),
    "failed": _l("the call failed"),
    "uncertain": _l("uncertain (never redialled)"),
}
"""A test call's outcome as the directory page says it."""
SMS_FINAL = frozenset({"delivered", "undelivered", "failed", "cancelled"})


def entry_tests(entry: Any) -> dict[str, Any]:
    """Return the entry's latest test SMS and test call as the page shows them: the line, and whether it is final.

    The page and its JSON (`<kind>_tests`, fetched when a push says there is news) read this one function.
    """
    shown: dict[str, Any] = {"target": test_calls.target_of(entry), "sms": None, "call": None}
    message = services.last_test_sms(db.session, entry)
    if message is not None:
        text = _(
            "Last test SMS to %(number)s, %(at)s: %(state)s",
            number=mask_phone(message.to),
            at=local_time(message.created_at),
            state=SMS_STATES.get(message.status, message.status),
        )
        text += _(" (%(detail)s)", detail=message.error) if message.error else ""
        shown["sms"] = {"state": message.status, "final": message.status in SMS_FINAL, "text": text}
    call = test_calls.last_test_call(db.session, entry)
    if call is not None:
        text = _(
            "Last test call to %(number)s, %(at)s: %(state)s",
            number=mask_phone(call.to),
            at=local_time(call.created_at),
            state=CALL_STATES.get(call.status, call.status),
        )
        text += _(" (%(detail)s)", detail=call.error) if call.error else ""
        shown["call"] = {"state": call.status, "final": call.status in test_calls.SETTLED, "text": text}
    return shown


def test_text() -> str:
    """Return the test message in the hotline's language; it carries 转介, a keyword robots may require."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _("Hotline referral test: this group will get the social-work hotline's referrals here. Nothing to do.")


def _copy(view: Callable[..., Any]) -> Callable[..., Any]:
    """Return a distinct function object for a second route of the same view."""

    def wrapped(**kwargs: Any) -> Any:
        return view(**kwargs)

    wrapped.__doc__ = view.__doc__
    return wrapped


for _kind in KINDS:
    make_views(_kind)


@bp.get("/directory/hsds/export.zip")
@require_role(Role.MANAGER)
def hsds_export() -> Any:
    """Download organisations, services and locations as Open Referral HSDS CSV."""
    body = hsds.export_hsds(db.session)
    services.record_exchange(db.session, "directory.export", current_user.id, "hsds", {"format": "hsds"})
    return Response(
        body,
        mimetype="application/zip",
        headers={"Content-Disposition": "attachment; filename=hsds.zip"},
    )


@bp.post("/directory/hsds/import")
@require_role(Role.MANAGER)
def hsds_import() -> Any:
    """Import organisations and their services from an Open Referral HSDS zip."""
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("Choose a file."), "error")
    else:
        try:
            created, updated = hsds.import_hsds(db.session, form.file.data.read())
            services.record_exchange(
                db.session, "directory.import", current_user.id, "hsds", {"created": created, "updated": updated}
            )
        except ImportFailed as failure:
            for line, message in failure.errors[:20]:
                flash(_("Line %(line)s: %(message)s", line=line, message=message), "error")
            flash(_("Nothing was imported."), "error")
        else:
            flash(_("Imported: %(created)s new, %(updated)s updated.", created=created, updated=updated), "success")
    return redirect(url_for("directory.organisations"))


@bp.get("/directory/staff/")
@require_role(Role.MANAGER)
def staff() -> Any:
    """List the staff with the channels escalations reach them on."""
    return render_template("directory/staff.html", users=services.list_staff(db.session), channel_label=channel_label)


@bp.route("/directory/staff/<int:user_id>", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def staff_edit(user_id: int) -> Any:
    """Set a staff member's channels in order of preference."""
    user = services.get_staff(db.session, user_id)
    if user is None:
        abort(404)
    if request.method == "GET":
        form = StaffChannelsForm(
            **dict(zip(CHOICE_FIELDS, user.notify_channels or [], strict=False)), feishu_user_id=user.feishu_user_id
        )
    else:
        form = StaffChannelsForm()
    if form.validate_on_submit():
        services.save_staff_channels(
            db.session, user, form.preferences(), current_user.id, feishu_user_id=form.feishu_user_id.data or None
        )
        flash(_("Saved."), "success")
        return redirect(url_for("directory.staff"))
    status = 422 if form.errors else 200
    return render_template("directory/staff_form.html", form=form, user=user), status


def channel_label(value: str) -> str:
    """Return a channel's label."""
    return str(dict(CHANNEL_CHOICES).get(value, value))


@bp.get("/directory/targets")
@logged_in
def targets() -> Any:
    """Find whom to refer to: covering stations, else the nearest, and experts with a skill."""
    form = TargetSearchForm(request.args, areas=area_choices())
    found = None
    if request.args and form.validate():
        found = services.find_targets(
            db.session,
            area_id=form.area_id.data,
            latitude=form.latitude.data,
            longitude=form.longitude.data,
            skill=form.skill.data or None,
            city=form.city.data or None,
        )
    return render_template("directory/targets.html", form=form, found=found)
