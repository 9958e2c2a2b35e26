"""Managers' pages for the weekly pattern and one-off shifts on a date, and the per-shift API."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _

from hotline.access import require_role
from hotline.api import API_PREFIX, ApiError
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.rota import editing
from hotline.rota.exceptions import InvalidShift, NotFound, ShiftEnded, ShiftPublished
from hotline.rota.forms import ShiftForm, SlotForm
from hotline.rota.routes import bp
from hotline.rota.routes.api import json_body
from hotline.vocabulary import Role

MINIMUMS = ("min_duty_workers", "min_qualified", "min_supervisors")


def render_pattern(form: SlotForm | None = None, shift_form: ShiftForm | None = None, status: int = 200) -> Any:
    """Render the pattern page."""
    pattern = editing.default_pattern(db.session)
    db.session.commit()
    return render_template(
        "rota/pattern.html",
        pattern=pattern,
        form=form or SlotForm(day_kinds=["working", "weekend", "holiday"]),
        shift_form=shift_form or ShiftForm(),
    ), status


@bp.get("/rota/pattern")
@require_role(Role.MANAGER)
def pattern_page() -> Any:
    """Show the weekly pattern and the form for a one-off shift."""
    return render_pattern()


@bp.post("/rota/pattern/slots")
@require_role(Role.MANAGER)
def add_slot() -> Any:
    """Add a shift to the weekly pattern."""
    form = SlotForm()
    if form.validate_on_submit():
        try:
            editing.save_slot(
                db.session,
                form.label.data,
                form.start_time.data,
                form.end_time.data,
                form.day_kinds.data,
                form.min_duty_workers.data,
                form.min_qualified.data,
                form.min_supervisors.data,
                form.expert_duty.data,
            )
        except InvalidShift:
            form.min_qualified.errors.append(_("Cannot exceed the number of duty workers."))
        else:
            flash(_("The pattern has been changed; weeks generated from now on follow it."), "success")
            return redirect(url_for("rota.pattern_page"))
    return render_pattern(form=form, status=422)


@bp.post("/rota/pattern/slots/<int:slot_id>/delete")
@require_role(Role.MANAGER)
def delete_slot(slot_id: int) -> Any:
    """Take a shift out of the weekly pattern."""
    try:
        editing.delete_slot(db.session, slot_id)
    except NotFound:
        abort(404)
    flash(_("The pattern has been changed; weeks generated from now on follow it."), "success")
    return redirect(url_for("rota.pattern_page"))


@bp.post("/rota/shifts")
@require_role(Role.MANAGER)
def add_shift() -> Any:
    """Add a one-off draft shift on a date."""
    form = ShiftForm()
    if form.validate_on_submit():
        try:
            editing.create_shift(
                db.session,
                form.day.data,
                form.start_time.data,
                form.end_time.data,
                form.label.data,
                utcnow(),
                form.min_duty_workers.data,
                form.min_qualified.data,
                form.min_supervisors.data,
            )
        except InvalidShift:
            form.day.errors.append(_("The shift would already be over."))
        else:
            flash(_("The shift has been added to the draft."), "success")
            return redirect(url_for("rota.editor", date=form.day.data.isoformat()))
    return render_pattern(shift_form=form, status=422)


@bp.patch(f"{API_PREFIX}/rota/shifts/<int:shift_id>")
@require_role(Role.MANAGER)
def change_shift(shift_id: int) -> Any:
    """Change a shift's minimum staffing (a per-date change).
    ---
    patch:
      summary: Change a shift's minimum staffing
      security: [{bearer: []}]
      parameters:
        - {name: shift_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [min_duty_workers, min_qualified, min_supervisors]
              properties:
                min_duty_workers: {type: integer, minimum: 0, maximum: 100}
                min_qualified: {type: integer, minimum: 0, maximum: 100}
                min_supervisors: {type: integer, minimum: 0, maximum: 100}
        required: true
      responses:
        200:
          description: "{id}"
        400:
          description: A minimum is missing or not a whole number from 0 to 100
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        404:
          description: No such shift
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        409:
          description: >-
            The shift is over (shift_ended), or the minimums contradict each other: more intermediate
            or senior workers than duty workers (invalid_minimums, the message in the user's language)
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    body = json_body()
    try:
        values = [int(body[name]) for name in MINIMUMS]
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(400, "invalid_body", _("Enter a whole number for each minimum.")) from exc
    try:
        shift = editing.update_shift(db.session, shift_id, utcnow(), *values)
    except InvalidShift as exc:
        message = _("Minimums cannot be negative, nor more intermediate or senior workers than duty workers.")
        raise ApiError(409, "invalid_minimums", message) from exc
    except NotFound as exc:
        raise ApiError(404, "not_found", "no such shift") from exc
    except ShiftEnded as exc:
        raise ApiError(409, "shift_ended", "the shift is over") from exc
    return jsonify({"id": shift.id})


@bp.delete(f"{API_PREFIX}/rota/shifts/<int:shift_id>")
@require_role(Role.MANAGER)
def remove_shift(shift_id: int) -> Any:
    """Delete a shift that was never published.
    ---
    delete:
      summary: Delete a draft shift
      security: [{bearer: []}]
      parameters:
        - {name: shift_id, in: path, required: true, schema: {type: integer}}
      responses:
        204:
          description: Deleted
        404:
          description: No such shift
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        409:
          description: The shift is published (remove its people instead) or over
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    try:
        editing.delete_shift(db.session, shift_id, utcnow())
    except NotFound as exc:
        raise ApiError(404, "not_found", "no such shift") from exc
    except (ShiftEnded, ShiftPublished) as exc:
        raise ApiError(409, "not_deletable", "published or past shifts are not deleted") from exc
    return "", 204
