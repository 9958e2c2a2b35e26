"""The supervisor's wallboard, its live fragment, the manager's thresholds, and joining a live call."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import require_role
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.telephony.models import Call
from hotline.telephony.providers import TelephonyError, get_provider
from hotline.telephony.security import twilio_webhook
from hotline.telephony.webhook_support import xml
from hotline.vocabulary import Role
from hotline.wallboard import jobs, services, thresholds
from hotline.wallboard.forms import ThresholdsForm
from hotline.wallboard.labels import MODES
from hotline.wallboard.monitor import CannotMonitor, join_call, supervisor_twiml

bp = Blueprint("wallboard", __name__)


def board_context() -> dict[str, Any]:
    """Return what the wallboard shows now."""
    return {"board": services.board(db.session, utcnow()), "modes": MODES}


@bp.get("/wallboard")
@require_role(Role.SUPERVISOR)
def page() -> Any:
    """Show the wallboard (add ?wall=1 for a wall screen: large type, no header)."""
    return render_template("wallboard/page.html", wall=request.args.get("wall") == "1", **board_context())


@bp.get("/wallboard/fragment")
@require_role(Role.SUPERVISOR)
def fragment() -> Any:
    """Render the wallboard's figures (refreshed on live events)."""
    return render_template("wallboard/_board.html", **board_context())


@bp.route("/wallboard/thresholds", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def thresholds_page() -> Any:
    """Let a manager set where the wallboard turns red and the supervisor on call is alerted."""
    form = ThresholdsForm(data=thresholds.as_dict(thresholds.load(db.session)))
    if form.is_submitted():
        if form.validate():
            thresholds.save(db.session, form.data, current_user.id)
            flash(_("The wallboard thresholds are saved."), "success")
            return redirect(url_for("wallboard.thresholds_page"))
        return render_template("wallboard/thresholds.html", form=form), 400
    return render_template("wallboard/thresholds.html", form=form)


@bp.post("/wallboard/calls/<int:call_id>/monitor")
@require_role(Role.SUPERVISOR)
def monitor(call_id: int) -> Any:
    """Ring me into a live call to listen, coach or barge in (JSON {"mode": ...}); say where it rings."""
    body = request.get_json(silent=True) or {}
    try:
        joined = join_call(db.session, call_id, current_user, str(body.get("mode", "")), utcnow(), get_provider())
    except CannotMonitor as exc:
        message = (
            _("That call is not live any more.") if str(exc) == "not_live" else _("Choose listen, coach or barge in.")
        )
        return jsonify({"error": {"message": message}}), 409
    except TelephonyError:
        db.session.rollback()
        return jsonify({"error": {"message": _("The phone line refused the call; try again in a moment.")}}), 502
    return jsonify({"ok": True, "rings": joined.rings})


@bp.post("/twilio/wallboard/monitor/<int:call_id>")
@twilio_webhook
def monitor_twiml(call_id: int) -> Response:
    """The supervisor answered: join the call's conference as the mode says."""
    call = db.session.get(Call, call_id)
    return xml(supervisor_twiml(call, request.args.get("mode", ""), request.args.get("coach")))


@bp.post("/twilio/wallboard/trunk")
@twilio_webhook
def trunk_report() -> Response:
    """Take a SIP gateway's report that its trunk registration was lost or restored (signed like Twilio's)."""
    jobs.trunk_reported(db.session, request.form.to_dict(), utcnow())
    return Response(status=204)
