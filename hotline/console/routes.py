"""The console's pages: the board, my status, the incoming offer, the current call and its intake."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import logged_in, require_role
from hotline.clock import utcnow
from hotline.console import intake, recordings, services, transfers
from hotline.console.exceptions import (
    NoRecording,
    NotAllowedToListen,
    NotYourCall,
    RecordingUnavailable,
    TransferRefused,
)
from hotline.console.forms import IntakeForm, TransferForm
from hotline.escalation import board as escalation_board
from hotline.extensions import db
from hotline.routing import adapters
from hotline.telephony.models import Call
from hotline.telephony.providers import TelephonyError
from hotline.vocabulary import Role

bp = Blueprint("console", __name__)


def _call(call_id: int) -> Call:
    """Return a call the current user may work on, or 404."""
    try:
        return services.load_call(db.session, call_id, current_user)
    except NotYourCall:
        abort(404)


def _console_context() -> dict[str, Any]:
    """Return what every console page shows: my status, the board, who is on duty."""
    now = utcnow()
    return {
        "now": now,
        "me": services.my_status(db.session, current_user.id, now),
        "rows": services.board(db.session, now),
        "duty": services.duty_list(db.session, now),
        "referrals": escalation_board.board(db.session, now),
        "softphone": not adapters.is_simulator(),
    }


@bp.get("/console")
@logged_in
def index() -> Any:
    """Show the console: my status, the incoming offer, the call board and who is on duty."""
    return render_template("console/index.html", **_console_context())


@bp.get("/console/fragments/status")
@logged_in
def status_fragment() -> Any:
    """Render my status and the incoming offer (refreshed on live events)."""
    now = utcnow()
    return render_template("console/_status.html", me=services.my_status(db.session, current_user.id, now), now=now)


@bp.get("/console/fragments/board")
@logged_in
def board_fragment() -> Any:
    """Render the call board and the on-duty list (refreshed on live events)."""
    now = utcnow()
    return render_template(
        "console/_board.html",
        rows=services.board(db.session, now),
        duty=services.duty_list(db.session, now),
        referrals=escalation_board.board(db.session, now),
        now=now,
    )


def render_call(call: Call, form: IntakeForm, status: int = 200) -> Any:
    """Render the current-call page with the intake form."""
    context = _console_context()
    context.update(services.call_context(db.session, call, current_user, context["now"]))
    context.update(services.line_context(db.session, call, current_user))
    transfer_form = TransferForm()
    transfer_form.worker_id.choices = [(u.id, u.display_name) for u in context["colleagues"]]
    transfer_form.expert_id.choices = [(e.expert_id, f"{e.name} · {e.profession}") for e in context["experts"]]
    context.update(
        form=form,
        transfer_form=transfer_form,
        areas=intake.area_options(db.session),
        area_path=intake.area_path(db.session, form.area_id.data),
        quick_types=intake.QUICK_TYPES,
        sms_consent=intake.sms_consent_state(db.session, call),
    )
    return render_template("console/call.html", **context), status


@bp.get("/console/calls/<int:call_id>")
@logged_in
def current_call(call_id: int) -> Any:
    """Show the current call: the caller, their history, the intake form (saved draft), hang up, transfer (audited)."""
    call = _call(call_id)
    services.record_call_view(db.session, call, current_user, utcnow())
    draft = intake.load_draft(db.session, call, current_user.id) or {}
    return render_call(call, IntakeForm(data=draft))


@bp.get("/console/calls/<int:call_id>/fragments/line")
@logged_in
def line_fragment(call_id: int) -> Any:
    """Render the call's line panel: timer, hold, mute, hang-up, who is on the line (refreshed on live events)."""
    call = _call(call_id)
    return render_template("console/_line.html", **services.line_context(db.session, call, current_user))


@bp.get("/console/calls/<int:call_id>/recording")
@require_role(Role.WORKER)
def recording(call_id: int) -> Any:
    """Stream the call's voicemail to the worker, or the part a seeking player asks for (audited, never cached)."""
    try:
        audio = recordings.listen(db.session, call_id, current_user, adapters.get_provider(), utcnow())
    except NoRecording:
        abort(404)
    except NotAllowedToListen:
        abort(403)
    except RecordingUnavailable:
        abort(502, description=_("The recording could not be fetched from the phone network. Try again in a minute."))
    return recordings.audio_response(audio, request)


@bp.post("/console/calls/<int:call_id>/intake")
@logged_in
def save_intake(call_id: int) -> Any:
    """Save the intake: create or update the case and link the call; errors go beside their fields."""
    from hotline.cases.exceptions import IntakeInvalid

    call = _call(call_id)
    form = IntakeForm(request.form)
    try:
        case = intake.save_from_form(db.session, call, current_user.id, form.data, utcnow())
    except IntakeInvalid as exc:
        for name, message in exc.errors.items():
            target = getattr(form, name, None) or form.summary
            target.errors = [*list(target.errors or []), message]
        flash(_("The intake has mistakes: see the fields marked in red."), "error")
        return render_call(call, form, 422)
    flash(_("Intake saved as case %(reference)s.", reference=case.reference), "success")
    if case.outcome == "escalate":
        # The escalation form opens in a dialog on the call page: the worker stays with the caller, and
        # the intake as saved stays in the form (saving it again updates the case).
        intake.save_draft(db.session, call, current_user.id, form.data, utcnow())
        return redirect(url_for("console.current_call", call_id=call_id, escalate=1))
    return redirect(url_for("console.index"))


@bp.post("/console/calls/<int:call_id>/call-type")
@logged_in
def quick_call_type(call_id: int) -> Any:
    """Record a call with no content (silent, hung up, wrong number, prank, test) in one click."""
    call = _call(call_id)
    call_type = request.form.get("call_type", "")
    if call_type not in intake.QUICK_TYPES:
        abort(400)
    intake.save_quick_type(db.session, call, current_user.id, call_type, utcnow())
    flash(_("Call recorded."), "success")
    return redirect(url_for("console.index"))


@bp.post("/console/calls/<int:call_id>/hang-up")
@logged_in
def hang_up(call_id: int) -> Any:
    """End the call; the intake stays open during the wrap-up."""
    call = _call(call_id)
    services.hang_up(db.session, call, current_user.id, utcnow(), adapters.get_provider())
    flash(_("Call ended. Finish the intake during your wrap-up time."), "success")
    return redirect(url_for("console.current_call", call_id=call_id))


@bp.post("/console/calls/<int:call_id>/transfer")
@logged_in
def transfer(call_id: int) -> Any:
    """Transfer the call: warm to an expert on duty (conference), cold to another duty worker or to an expert."""
    call = _call(call_id)
    kind = request.form.get("kind")
    now = utcnow()
    try:
        if kind == "warm":
            expert_id = int(request.form.get("expert_id") or 0)
            transfers.warm_transfer(db.session, call, current_user.id, expert_id, now, adapters.get_provider())
            flash(
                _("The expert is being called into the conversation. You may leave once they have taken over."),
                "success",
            )
        elif kind == "cold":
            to_id = int(request.form.get("worker_id") or 0)
            transfers.cold_transfer(db.session, call, current_user.id, to_id, now)
            flash(_("Your colleague's console is ringing; stay with the caller until they accept."), "success")
        elif kind == "cold_expert":
            expert_id = int(request.form.get("expert_id") or 0)
            transfers.cold_transfer_to_expert(
                db.session, call, current_user.id, expert_id, now, adapters.get_provider()
            )
            flash(_("The caller is being put through to the expert. Finish the intake during your wrap-up."), "success")
        elif kind == "leave":
            transfers.leave_conference(db.session, call, current_user.id, now, adapters.get_provider())
            flash(_("You left the conference; the caller and the expert talk on."), "success")
        else:
            abort(400)
    except TransferRefused as exc:
        messages = {
            "expert_unavailable": _("That expert is not on duty now or has no phone number."),
            "colleague_unavailable": _("That colleague is not free now."),
            "not_on_call": _("You are not on this call."),
            "no_conference": _("There is no conference to leave."),
        }
        flash(messages.get(str(exc), _("The transfer could not be made.")), "error")
    except TelephonyError:
        flash(_("The phone network did not answer. Try again in a moment."), "error")
    return redirect(url_for("console.current_call", call_id=call_id))
