"""Work-order pages: the station's phone page, the signed link, the supervisor's board, the return call.

Every action goes through one handler (`act`) for the logged-in member and the
link alike; the services check the order's state and the actor's unit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hotline.access import logged_in, public, require_role
from hotline.api import API_PREFIX, ApiError
from hotline.cases.guard import guard_case_id
from hotline.clock import to_utc, utcnow
from hotline.escalation.exceptions import ReferralEnded, ReferralExpired, ReferralNotFound
from hotline.escalation.notifications import read_link_token
from hotline.extensions import db
from hotline.telephony.providers import get_provider
from hotline.vocabulary import Role
from hotline.workorders import attachments, board, closing, deadlines, duplicates, figures, services, supervision
from hotline.workorders.exceptions import BadInput, NotYourOrder, OrderNotFound, UploadRefused, WrongState
from hotline.workorders.forms import (
    AttachmentForm,
    DispatchForm,
    ExtensionForm,
    LimitsForm,
    NoteForm,
    ReasonForm,
    RedispatchForm,
    ResultForm,
    SuperviseForm,
    VerdictForm,
)
from hotline.workorders.models import WorkOrder

bp = Blueprint("workorders", __name__)
LINK_REASON = "a signed single-use link scoped to one referral, as the responder page"
ACTIONS = ("sign", "note", "attach", "result", "extension", "return")


def order_or_404(order_id: int) -> WorkOrder:
    """Return the order or answer 404."""
    try:
        return services.get_order(db.session, order_id)
    except OrderNotFound:
        abort(404)


def forms() -> dict[str, Any]:
    """Return empty forms of the station page."""
    return {
        "note_form": NoteForm(prefix="note"),
        "return_form": ReasonForm(prefix="return"),
        "result_form": ResultForm(prefix="result"),
        "extension_form": ExtensionForm(prefix="extension"),
        "attach_form": AttachmentForm(prefix="attach"),
    }


def render_order(order: WorkOrder, *, token: str | None = None, status: int = 200, **extra: Any) -> Any:
    """Render an order's page for its unit (or a supervisor), or for the signed link."""
    view = board.order_view(db.session, order)
    if token is None and current_user.is_authenticated and current_user.has_role(Role.SUPERVISOR):
        extra.setdefault("volunteer_link", supervision.order_link(order))
        extra.setdefault("duplicate", duplicates.original_of(db.session, order))
        extra.setdefault("duplicate_reasons", board.DUPLICATE_REASONS)
    page_forms = forms()
    page_forms.update({key: value for key, value in extra.items() if key.endswith("_form")})
    rest = {key: value for key, value in extra.items() if not key.endswith("_form")}
    return render_template("workorders/order.html", view=view, token=token, **page_forms, **rest), status


def run_action(
    order: WorkOrder, action: str, *, actor: Any, via: str, referral_id: int | None
) -> tuple[str | None, dict[str, Any]]:
    """Run one station action from the posted form; return (message, forms with errors)."""
    now = utcnow()
    common = {"actor": actor, "now": now, "via": via, "referral_id": referral_id}
    if action == "sign":
        services.sign(db.session, order.id, **common)
        return _("Signed for. The deadline to handle it is shown above."), {}
    if action == "note":
        form = NoteForm(prefix="note")
        if not form.validate_on_submit():
            return None, {"note_form": form}
        services.add_note(db.session, order.id, form.note.data, **common)
        return _("Note added."), {}
    if action == "attach":
        form = AttachmentForm(prefix="attach")
        if not form.validate_on_submit():
            return None, {"attach_form": form}
        upload = form.file.data
        try:
            content = upload.stream.read(attachments.MAX_BYTES + 1)
        finally:
            upload.close()
        attachments.attach(db.session, order.id, upload.filename, content, **common)
        return _("Attachment added."), {}
    if action == "result":
        form = ResultForm(prefix="result")
        if not form.validate_on_submit():
            return None, {"result_form": form}
        closing.submit_result(db.session, order.id, form.result.data, **common)
        return _("Result submitted. The hotline will call the caller back."), {}
    if action == "extension":
        form = ExtensionForm(prefix="extension")
        if not form.validate_on_submit():
            return None, {"extension_form": form}
        until = to_utc(form.until.data)
        services.request_extension(db.session, order.id, until=until, reason=form.reason.data, **common)
        return _("Extension requested. The supervisor decides."), {}
    form = ReasonForm(prefix="return")
    if not form.validate_on_submit():
        return None, {"return_form": form}
    services.return_order(db.session, order.id, form.reason.data, **common)
    return _("Returned to the hotline's supervisor."), {}


UPLOAD_MESSAGES = {
    "empty": _l("The file is empty."),
    "too large": _l("The file is larger than 5 MB."),
    "type": _l("Only photos (JPEG, PNG) and PDF documents can be attached."),
}


def act(order: WorkOrder, action: str, *, actor: Any, via: str, referral_id: int | None, token: str | None) -> Any:
    """Run an action and render the order again: 403 for another unit, 409 for a state that does not allow it."""
    try:
        message, failed = run_action(order, action, actor=actor, via=via, referral_id=referral_id)
    except NotYourOrder:
        db.session.rollback()
        abort(403)
    except WrongState as problem:
        db.session.rollback()
        db.session.refresh(order)
        return render_order(order, token=token, status=409, error=board.refusal_text(problem.state))
    except UploadRefused as problem:
        db.session.rollback()
        form = AttachmentForm(prefix="attach")
        form.file.errors = [str(UPLOAD_MESSAGES[str(problem)])]
        return render_order(order, token=token, status=422, attach_form=form)
    except BadInput as problem:
        db.session.rollback()
        return render_order(order, token=token, status=422, error=board.input_text(problem))
    if failed:
        return render_order(order, token=token, status=422, **failed)
    db.session.refresh(order)
    if token is None:
        flash(message)
        return redirect(url_for("workorders.order_page", order_id=order.id))
    return render_order(order, token=token, message=message)


@bp.get("/orders/")
@require_role(Role.STATION)
def mine() -> Any:
    """Show the open orders of the member's unit, nearest deadline first (the phone page)."""
    orders = services.units_for_user(db.session, current_user.id)
    unit = board.unit_label(db.session, current_user.id)
    return render_template("workorders/mine.html", orders=orders, unit=unit, now=utcnow())


@bp.get("/orders/<int:order_id>")
@require_role(Role.STATION)
def order_page(order_id: int) -> Any:
    """Show one order to a member of its unit or to a supervisor; anyone else gets 403."""
    order = order_or_404(order_id)
    if not board.may_view(db.session, order, current_user):
        abort(403)
    return render_order(order)


@bp.post("/orders/<int:order_id>/<any(sign, note, attach, result, extension, return):action>")
@require_role(Role.STATION)
def order_action(order_id: int, action: str) -> Any:
    """Sign for, add a note or an attachment, submit the result, ask for more time, or return."""
    order = order_or_404(order_id)
    return act(order, action, actor=current_user, via="page", referral_id=None, token=None)


@bp.get("/orders/<int:order_id>/files/<int:attachment_id>")
@require_role(Role.STATION)
def attachment_file(order_id: int, attachment_id: int) -> Any:
    """Send an attachment to a member of the order's unit or a supervisor."""
    order = order_or_404(order_id)
    if not board.may_view(db.session, order, current_user):
        abort(403)
    return send_attachment(order, attachment_id)


def send_attachment(order: WorkOrder, attachment_id: int) -> Any:
    """Answer with an attachment's bytes (never rendered inline as HTML)."""
    found = attachments.read(db.session, order, attachment_id)
    if found is None:
        abort(404)
    attachment, content = found
    response = Response(content, mimetype=attachment.content_type)
    response.headers["Content-Disposition"] = "inline" if attachment.content_type.startswith("image/") else "attachment"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def order_from_token(token: str) -> tuple[WorkOrder | None, int | None, Any]:
    """Return (order, referral id, None) for a good link to a referral with an order, else the error page."""
    try:
        referral_id = read_link_token(db.session, token)
    except ReferralEnded:
        return None, None, (render_template("escalation/link_invalid.html", ended=True), 410)
    except ReferralExpired:
        return None, None, (render_template("escalation/link_invalid.html", expired=True), 410)
    except ReferralNotFound:
        return None, None, (render_template("escalation/link_invalid.html", expired=False), 404)
    order = board.order_for_referral(db.session, referral_id)
    if order is None:
        return None, None, (render_template("escalation/link_invalid.html", expired=False), 404)
    return order, referral_id, None


@bp.get("/r/<token>/order")
@public(LINK_REASON)
def link_order(token: str) -> Any:
    """Show the order to a responder without an account: the same page and actions as a member's."""
    order, _referral_id, error = order_from_token(token)
    return error if order is None else render_order(order, token=token)


@bp.post("/r/<token>/order/<any(sign, note, attach, result, extension, return):action>")
@public(LINK_REASON)
def link_action(token: str, action: str) -> Any:
    """Run a station action from the signed link."""
    order, referral_id, error = order_from_token(token)
    if order is None:
        return error
    return act(order, action, actor=None, via="link", referral_id=referral_id, token=token)


@bp.get("/r/<token>/order/files/<int:attachment_id>")
@public(LINK_REASON)
def link_attachment(token: str, attachment_id: int) -> Any:
    """Send an attachment of the link's order."""
    order, _referral_id, error = order_from_token(token)
    return error if order is None else send_attachment(order, attachment_id)


@bp.get("/orders/board")
@require_role(Role.SUPERVISOR)
def board_page() -> Any:
    """The supervisor's board: returned orders with a suggested unit, late ones, extension requests."""
    view = board.supervisor_board(db.session, utcnow())
    return render_template(
        "workorders/board.html",
        view=view,
        redispatch_forms={item.order.id: redispatch_form(item) for item in view.returned},
        supervise_form=SuperviseForm(prefix="supervise"),
        duplicate_reasons=board.DUPLICATE_REASONS,
    )


def redispatch_form(item: Any) -> RedispatchForm:
    """Return the re-dispatch form of a returned order, the suggestion first."""
    form = RedispatchForm(prefix=f"r{item.order.id}")
    form.unit.choices = item.choices
    if item.suggested and not form.unit.data:
        form.unit.data = item.suggested
    return form


def supervisor_action(order_id: int, run: Callable[[WorkOrder], str]) -> Any:
    """Run a board action; refusals come back as a message on the board."""
    order = order_or_404(order_id)
    try:
        flash(run(order))
    except WrongState as problem:
        db.session.rollback()
        flash(board.refusal_text(problem.state), "error")
    except BadInput as problem:
        db.session.rollback()
        flash(board.input_text(problem), "error")
    except NotYourOrder:
        db.session.rollback()
        abort(403)
    return redirect(url_for("workorders.board_page"))


@bp.post("/orders/<int:order_id>/redispatch")
@require_role(Role.SUPERVISOR)
def redispatch(order_id: int) -> Any:
    """Send a returned order to another station or organisation."""

    def run(order: WorkOrder) -> str:
        form = RedispatchForm(prefix=f"r{order.id}")
        form.unit.choices = board.unit_choices(db.session)
        if not form.validate_on_submit():
            raise BadInput("unit", "required")
        kind, _sep, unit_id = form.unit.data.partition(":")
        now = utcnow()
        services.redispatch(
            db.session, order.id, kind=kind, unit_id=int(unit_id), actor=current_user, now=now, note=form.note.data
        )
        supervision.send_reminders(db.session, [(order.id, "dispatched")], get_provider(), now)
        return _("Re-dispatched to %(unit)s.", unit=order.unit_name)

    return supervisor_action(order_id, run)


@bp.post("/orders/<int:order_id>/merge/<int:into_id>")
@require_role(Role.SUPERVISOR)
def merge(order_id: int, into_id: int) -> Any:
    """Merge a duplicate report into the open order of the same matter."""

    def run(order: WorkOrder) -> str:
        try:
            kept = duplicates.merge(db.session, order.id, into_id, actor=current_user, now=utcnow())
        except OrderNotFound:
            raise BadInput("into", "no such order") from None
        return _("%(duplicate)s merged into %(kept)s.", duplicate=order.reference, kept=kept.reference)

    return supervisor_action(order_id, run)


@bp.post("/orders/<int:order_id>/take-back")
@require_role(Role.SUPERVISOR)
def take_back(order_id: int) -> Any:
    """The hotline takes a returned order back."""

    def run(order: WorkOrder) -> str:
        services.take_back(db.session, order.id, actor=current_user, now=utcnow())
        return _("Taken back: the case stays with the hotline.")

    return supervisor_action(order_id, run)


@bp.post("/orders/<int:order_id>/extension/<any(grant, refuse):decision>")
@require_role(Role.SUPERVISOR)
def decide_extension(order_id: int, decision: str) -> Any:
    """Grant or refuse a requested extension."""

    def run(order: WorkOrder) -> str:
        services.decide_extension(db.session, order.id, grant=decision == "grant", actor=current_user, now=utcnow())
        return _("Extension granted.") if decision == "grant" else _("Extension refused.")

    return supervisor_action(order_id, run)


@bp.post("/orders/<int:order_id>/supervise")
@require_role(Role.SUPERVISOR)
def supervise(order_id: int) -> Any:
    """Mark an order 督办 with a note."""

    def run(order: WorkOrder) -> str:
        form = SuperviseForm(prefix="supervise")
        if not form.validate_on_submit():
            raise BadInput("note", "required")
        now = utcnow()
        services.supervise(db.session, order.id, form.note.data, actor=current_user, now=now)
        supervision.send_reminders(db.session, [(order.id, "supervised")], get_provider(), now)
        return _("Marked as supervised.")

    return supervisor_action(order_id, run)


@bp.route("/orders/dispatch", methods=["GET", "POST"])
@require_role(Role.SUPERVISOR)
def dispatch_page() -> Any:
    """Dispatch an order for a case to a station, organisation or volunteer (the covering station suggested).

    The unit is told by the channels it chose; a volunteer gets the signed single-use link.
    """
    from hotline.cases.casework import find_case_by_reference
    from hotline.cases.guard import guard_case

    reference = (request.args.get("case") or "").strip()
    case = find_case_by_reference(db.session, reference) if reference else None
    if reference and case is None:
        return render_template(
            "workorders/dispatch.html", case=None, reference=reference, error=_("No case has this reference.")
        ), 404
    form = DispatchForm()
    form.unit.choices = board.unit_choices(db.session)
    suggested = None
    error = None
    if case is not None:
        guard_case(case)
        suggested = board.covering_station(db.session, case.area_id)
        if request.method == "GET" and suggested:
            form.unit.data = suggested
        if form.validate_on_submit():
            kind, _sep, unit_id = form.unit.data.partition(":")
            now = utcnow()
            try:
                order = services.dispatch_to_unit(
                    db.session,
                    case_id=case.id,
                    kind=kind,
                    unit_id=int(unit_id),
                    urgency=form.urgency.data,
                    reason=form.reason.data,
                    request_text=form.request.data,
                    actor_id=current_user.id,
                    now=now,
                )
            except BadInput as problem:
                db.session.rollback()
                error = board.input_text(problem)
            else:
                supervision.send_reminders(db.session, [(order.id, "dispatched")], get_provider(), now)
                flash(_("Dispatched to %(unit)s.", unit=order.unit_name))
                if duplicates.original_of(db.session, order) is not None:
                    flash(_("This order looks like a second report of an open one: see the warning below."), "error")
                return redirect(url_for("workorders.order_page", order_id=order.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "workorders/dispatch.html", case=case, reference=reference, form=form, suggested=suggested, error=error
    ), status


@bp.route("/orders/<int:order_id>/return-call", methods=["GET", "POST"])
@logged_in
def return_call(order_id: int) -> Any:
    """Record the caller's verdict on the order's result: resolved or not, satisfaction 1-5."""
    order = order_or_404(order_id)
    guard_case_id(order.case_id)
    form = VerdictForm()
    error = None
    if form.validate_on_submit():
        reached = form.reached.data == "yes"
        resolved = None if not form.resolved.data else form.resolved.data == "yes"
        try:
            closing.record_verdict(
                db.session,
                order.id,
                reached=reached,
                resolved=resolved,
                satisfaction=form.satisfaction.data,
                note=form.note.data,
                worker=current_user,
                now=utcnow(),
            )
        except WrongState as problem:
            db.session.rollback()
            error = board.refusal_text(problem.state)
        except BadInput as problem:
            db.session.rollback()
            error = board.input_text(problem)
        else:
            flash(_("Return call recorded."))
            return redirect(url_for("workorders.return_call", order_id=order.id))
    status = 422 if request.method == "POST" else 200
    view = board.order_view(db.session, order)
    return render_template("workorders/return_call.html", view=view, form=form, error=error), status


@bp.route("/orders/limits", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def limits_page() -> Any:
    """The urgency table: sign-for and handling limits per urgency, edited by managers."""
    table = deadlines.limits(db.session)
    form = LimitsForm()
    problems: dict[str, str] = {}
    if request.method == "GET":
        for urgency, row in table.items():
            for kind, cell in row.items():
                getattr(form, f"{urgency}_{kind}_amount").data = cell["amount"]
                getattr(form, f"{urgency}_{kind}_unit").data = cell["unit"]
    elif form.validate_on_submit():
        posted = {
            urgency: {
                kind: {
                    "amount": getattr(form, f"{urgency}_{kind}_amount").data,
                    "unit": getattr(form, f"{urgency}_{kind}_unit").data,
                }
                for kind in ("sign", "handle")
            }
            for urgency in deadlines.URGENCIES
        }
        try:
            deadlines.save_limits(db.session, posted, actor_id=current_user.id)
        except deadlines.BadLimits as bad:
            db.session.rollback()
            problems = bad.problems
        else:
            flash(_("Time limits saved. Orders dispatched from now on use them."))
            return redirect(url_for("workorders.limits_page"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "workorders/limits.html", form=form, problems=problems, urgencies=deadlines.URGENCIES
    ), status


def month_argument(raw: str | None, now: Any) -> Any:
    """Return the month asked for (YYYY-MM), else the current one; None for a bad value."""
    from datetime import date

    from hotline.clock import local

    if not raw:
        today = local(now).date()
        return date(today.year, today.month, 1)
    try:
        year, month = (int(part) for part in raw.split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return None


@bp.get("/orders/figures")
@require_role(Role.SUPERVISOR)
def figures_page() -> Any:
    """The monthly table by station and organisation, printable for the district bureau."""
    now = utcnow()
    month = month_argument(request.args.get("month"), now)
    if month is None:
        abort(400)
    start, end = figures.month_bounds(month)
    rows = figures.unit_figures(db.session, start, end, now)
    return render_template("workorders/figures.html", rows=rows, month=month)


@bp.get(f"{API_PREFIX}/workorders/figures")
@require_role(Role.SUPERVISOR)
def api_figures() -> Any:
    """Work-order figures by unit for a month.
    ---
    get:
      summary: Orders received, on-time sign-for and completion rates, returns, extensions, satisfaction, overdue now
      security: [{bearer: []}]
      parameters:
        - {name: month, in: query, required: false,
           schema: {type: string, pattern: '^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$'}}
      responses:
        200:
          description: '{"month": "2026-03", "units": [...]}, busiest unit first; rates are 0-1 or null'
        400:
          description: The month is not YYYY-MM
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        401:
          description: Not authenticated
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        403:
          description: Supervisors and above only
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    now = utcnow()
    month = month_argument(request.args.get("month"), now)
    if month is None:
        raise ApiError(400, "invalid_parameter", "month is YYYY-MM", {"month": request.args.get("month")})
    start, end = figures.month_bounds(month)
    rows = figures.unit_figures(db.session, start, end, now)
    return jsonify({"month": f"{month:%Y-%m}", "units": [row.as_json() for row in rows]})
