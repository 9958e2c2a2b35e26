"""Routing over HTTP: presence, accepting and declining offers (JSON), and the router's settings page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import logged_in, require_role
from hotline.accounts.services import get_user
from hotline.api import API_PREFIX, ApiError
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.routing import adapters, services
from hotline.routing.exceptions import ConnectFailed, InvalidState, OfferGone, OfferNotFound
from hotline.routing.forms import RoutingSettingsForm
from hotline.routing.models import WorkerPresence
from hotline.routing.settings import RoutingSettings, load_routing_settings, save_routing_settings
from hotline.vocabulary import Role

bp = Blueprint("routing", __name__)


def _payload() -> dict[str, Any]:
    """Return the request's JSON object or form values."""
    return request.get_json(silent=True) or request.form.to_dict()


def _presence_json(presence: WorkerPresence) -> dict[str, Any]:
    return {
        "user_id": presence.user_id,
        "state": presence.state,
        "reason": presence.reason,
        "state_since": presence.state_since.isoformat(),
        "connect_via": presence.connect_via,
        "current_call_id": presence.current_call_id,
    }


def _set_state(user_id: int) -> Any:
    state = str(_payload().get("state", ""))
    try:
        presence = services.set_presence(db.session, user_id, state, utcnow(), current_user.id)
    except InvalidState as exc:
        code = "on_call" if str(exc) == "on_call" else "invalid_state"
        message = _("Finish the call first.") if code == "on_call" else _("Unknown state.")
        raise ApiError(409 if code == "on_call" else 400, code, message, {"state": state}) from exc
    return jsonify(_presence_json(presence))


@bp.post(f"{API_PREFIX}/routing/presence")
@logged_in
def set_my_presence() -> Any:
    """Set my state.
    ---
    post:
      summary: Set my presence (available, busy, break, offline)
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [state]
              properties: {state: {type: string, enum: [available, busy, break, offline]}}
      responses:
        200: {description: My presence}
        400: {description: Unknown state, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        409: {description: Still on a call, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    """
    return _set_state(current_user.id)


@bp.post(f"{API_PREFIX}/routing/presence/<int:user_id>")
@require_role(Role.SUPERVISOR)
def set_worker_presence(user_id: int) -> Any:
    """Set a worker's state (supervisors).
    ---
    post:
      summary: Set a worker's presence
      parameters:
        - {name: user_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [state]
              properties: {state: {type: string, enum: [available, busy, break, offline]}}
      responses:
        200: {description: The worker's presence}
        400: {description: Unknown state, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        404: {description: No such worker, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        409:
          description: The worker is on a call
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    if get_user(db.session, user_id) is None:
        raise ApiError(404, "not_found", _("No such worker."))
    return _set_state(user_id)


@bp.post(f"{API_PREFIX}/routing/connect-via")
@logged_in
def set_connect_via() -> Any:
    """Choose how calls reach me.
    ---
    post:
      summary: Receive calls in the browser or on my own phone
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [connect_via]
              properties: {connect_via: {type: string, enum: [browser, phone]}}
        required: true
      responses:
        200: {description: My presence}
        400: {description: Unknown choice}
        409: {description: "no_phone: my profile has no phone number to ring"}
    """
    choice = str(_payload().get("connect_via", ""))
    try:
        presence = services.set_connect_via(db.session, current_user.id, choice, utcnow())
    except InvalidState as exc:
        message = _("Add your phone number to your profile first.") if str(exc) == "no_phone" else _("Unknown choice.")
        status, code = (409, "no_phone") if str(exc) == "no_phone" else (400, "invalid_choice")
        raise ApiError(status, code, message, {"connect_via": choice}) from exc
    return jsonify(_presence_json(presence))


@bp.post(f"{API_PREFIX}/routing/offers/<int:offer_id>/accept")
@logged_in
def accept(offer_id: int) -> Any:
    """Accept an offer.
    ---
    post:
      summary: Accept a call offered to me (exactly one worker wins)
      parameters:
        - {name: offer_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: Accepted; the caller is being connected}
        404: {description: No such offer}
        409: {description: Someone else took the call, or it was withdrawn}
        502: {description: The phone network refused; the call is waiting again}
    """
    try:
        offer = services.accept_offer(db.session, offer_id, current_user.id, utcnow(), adapters.get_provider())
    except OfferNotFound as exc:
        raise ApiError(404, "not_found", _("No such offer.")) from exc
    except OfferGone as exc:
        raise ApiError(409, "offer_gone", _("This call was taken by someone else or is no longer ringing.")) from exc
    except ConnectFailed as exc:
        raise ApiError(
            502, "connect_failed", _("The caller could not be connected; the call is waiting again.")
        ) from exc
    return jsonify({"call_id": offer.call_id, "url": url_for("console.current_call", call_id=offer.call_id)})


@bp.post(f"{API_PREFIX}/routing/offers/<int:offer_id>/decline")
@logged_in
def decline(offer_id: int) -> Any:
    """Decline an offer.
    ---
    post:
      summary: Decline a call offered to me; it goes to the next worker
      parameters:
        - {name: offer_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: Declined}
        404: {description: No such offer}
        409: {description: The offer is no longer ringing}
    """
    try:
        services.decline_offer(db.session, offer_id, current_user.id, utcnow())
    except OfferNotFound as exc:
        raise ApiError(404, "not_found", _("No such offer.")) from exc
    except OfferGone as exc:
        raise ApiError(409, "offer_gone", _("This call is no longer ringing.")) from exc
    return jsonify({"declined": offer_id})


@bp.route("/routing/settings", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def settings_page() -> Any:
    """Show and change the router's settings."""
    current = load_routing_settings(db.session)
    form = RoutingSettingsForm(data=current.__dict__)
    if request.method == "POST":
        if form.validate_on_submit():
            settings = RoutingSettings(
                ring_seconds=form.ring_seconds.data,
                offer_mode=form.offer_mode.data,
                wrap_up_seconds=form.wrap_up_seconds.data,
                console_grace_seconds=form.console_grace_seconds.data,
                missed_offer_sets_break=form.missed_offer_sets_break.data,
            )
            save_routing_settings(db.session, settings, current_user.id, utcnow())
            flash(_("Routing settings saved."), "success")
            return redirect(url_for("routing.settings_page"))
        return render_template("routing/settings.html", form=form), 422
    return render_template("routing/settings.html", form=form)
