"""Escalation pages for staff, the policies and settings, and the referrals API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import logged_in, require_role
from hotline.api import API_PREFIX, ApiError
from hotline.cases import need_to_know
from hotline.cases.guard import guard_case, guard_case_id
from hotline.clock import utcnow
from hotline.directory.services import find_targets
from hotline.escalation import board, messages, policies, services, triggers
from hotline.escalation.exceptions import (
    AlreadyAnswered,
    NoPolicy,
    NotAllowed,
    NotOwned,
    OverrideReasonMissing,
    PolicyInvalid,
    ReferralExpired,
    ReferralNotFound,
    SettingsInvalid,
)
from hotline.escalation.forms import (
    MESSAGE_STATES,
    SENT_THROUGH,
    CancelForm,
    EscalateForm,
    MessageFilterForm,
    OutcomeForm,
    PolicyForm,
    SettingsForm,
)
from hotline.escalation.models import EscalationStatus, ReferralStatus
from hotline.extensions import db
from hotline.routing.adapters import is_simulator
from hotline.sms.kinds import KINDS
from hotline.telephony.providers import get_provider
from hotline.telephony.queries import call_with_voicemail
from hotline.vocabulary import Role

bp = Blueprint("escalation", __name__)
MESSAGE_KINDS = {name: kind.label for name, kind in KINDS.items()}
DIALOG_HEADER = "X-Hotline-Dialog"


@bp.route("/escalation/new", methods=["GET", "POST"])
@logged_in
def new() -> Any:
    """Escalate a case: reason, skill, urgency, what is asked; a supervisor may override consent.

    Asked for by the call page's dialog (the X-Hotline-Dialog header), it answers the form alone
    (errors beside their fields, what was typed kept) and, once escalated, JSON instead of a redirect.
    """
    case = guard_case(board.get_case(db.session, request.args.get("case_id", type=int)) or abort(404))
    form = EscalateForm()
    may_override = need_to_know.reads_every_case(current_user)
    in_dialog = request.headers.get(DIALOG_HEADER) == "1"
    if form.validate_on_submit():
        override = form.override_reason.data if may_override and form.consent_override.data else None
        if form.consent_override.data and not may_override:
            form.consent_override.errors.append(_("Only a supervisor may override consent."))
        elif override is not None and not override.strip():
            form.override_reason.errors.append(_("Give the reason for the override; it is logged."))
        else:
            try:
                escalation = triggers.escalate_case(
                    db.session,
                    case.id,
                    reason=form.reason.data,
                    skill=form.skill.data or None,
                    urgency=form.urgency.data,
                    note=form.note.data,
                    actor_id=current_user.id,
                    now=utcnow(),
                    provider=get_provider(),
                    consent_override_reason=override,
                )
            except NoPolicy:
                form.reason.errors.append(_("No active policy fits this reason and urgency."))
            except (NotAllowed, OverrideReasonMissing):
                form.override_reason.errors.append(_("Give the reason for the override; it is logged."))
            else:
                message = _("Escalated: the first targets are being notified.")
                url = url_for("escalation.detail", escalation_id=escalation.id)
                if in_dialog:
                    return jsonify({"message": message, "url": url, "escalation_id": escalation.id})
                flash(message, "success")
                return redirect(url)
    targets = find_targets(db.session, area_id=case.area_id, skill=form.skill.data or None)
    status = 422 if form.errors else 200
    template = "escalation/_new.html" if in_dialog else "escalation/new.html"
    return render_template(template, form=form, case=case, targets=targets[:6], may_override=may_override), status


@bp.get("/escalation/")
@logged_in
def board_page() -> Any:
    """Show the escalation board: pending, overdue, owned, by station and expert, and the figures."""
    now = utcnow()
    return render_template(
        "escalation/board.html",
        board=board.board(db.session, now),
        today=board.figures(db.session, now - timedelta(days=1), now),
        month=board.figures(db.session, now - timedelta(days=30), now),
        now=now,
    )


@bp.get("/escalation/<int:escalation_id>")
@logged_in
def detail(escalation_id: int) -> Any:
    """Show one chain: its policy copy, referrals, attempts and events."""
    escalation = board.get_escalation(db.session, escalation_id) or abort(404)
    running = escalation.status == EscalationStatus.RUNNING.value
    guard_case_id(escalation.case_id, take_escalation=escalation.id if running else None)
    return render_template(
        "escalation/detail.html",
        escalation=escalation,
        voicemail_call=call_with_voicemail(db.session, escalation.call_id),
        simulator=is_simulator(),
        outcome_form=OutcomeForm(),
        cancel_form=CancelForm(),
        now=utcnow(),
    )


@bp.post("/escalation/<int:escalation_id>/take")
@logged_in
def take(escalation_id: int) -> Any:
    """Own a running chain from the board; it stops for good."""
    try:
        services.take_over(db.session, escalation_id, actor_id=current_user.id, now=utcnow())
    except ReferralNotFound:
        abort(404)
    except (ReferralExpired, AlreadyAnswered):
        flash(_("This escalation is no longer running."), "error")
    else:
        flash(_("You own this escalation now."), "success")
    return redirect(url_for("escalation.detail", escalation_id=escalation_id))


@bp.post("/escalation/<int:escalation_id>/cancel")
@require_role(Role.SUPERVISOR)
def cancel(escalation_id: int) -> Any:
    """Stop a running chain, with a reason."""
    form = CancelForm()
    if not form.validate_on_submit():
        flash(_("Say why the escalation is stopped."), "error")
    else:
        try:
            services.cancel(db.session, escalation_id, actor_id=current_user.id, now=utcnow(), why=form.why.data)
        except ReferralNotFound:
            abort(404)
        except ReferralExpired:
            flash(_("This escalation is no longer running."), "error")
    return redirect(url_for("escalation.detail", escalation_id=escalation_id))


def staff_may_answer(referral_id: int) -> int:
    """Return the referral's chain id if the current user is its target or a supervisor, else abort."""
    referral = board.get_referral(db.session, referral_id) or abort(404)
    if referral.target_kind == "user" and referral.target_id == current_user.id:
        return referral.escalation_id or 0
    if need_to_know.reads_every_case(current_user):
        return referral.escalation_id or 0
    guard_case_id(referral.case_id)
    abort(403)


@bp.post("/escalation/referrals/<int:referral_id>/acknowledge")
@logged_in
def acknowledge(referral_id: int) -> Any:
    """Acknowledge a referral made to you (a callback, an alert); the chain stops."""
    escalation_id = staff_may_answer(referral_id)
    try:
        services.respond(db.session, referral_id, "acknowledge", now=utcnow(), via="board", actor_id=current_user.id)
    except AlreadyAnswered:
        flash(_("This referral was already answered."), "info")
    except ReferralExpired:
        flash(_("This referral has expired or was passed on."), "error")
    else:
        flash(_("Acknowledged."), "success")
    return redirect(url_for("escalation.detail", escalation_id=escalation_id))


@bp.post("/escalation/referrals/<int:referral_id>/outcome")
@logged_in
def outcome(referral_id: int) -> Any:
    """Record the outcome of a referral you own."""
    escalation_id = staff_may_answer(referral_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            services.complete(
                db.session,
                referral_id,
                outcome=form.outcome.data,
                note=form.note.data,
                now=utcnow(),
                via="board",
                actor_id=current_user.id,
            )
        except (AlreadyAnswered, NotOwned):
            flash(_("Only an accepted referral can be closed, once."), "error")
        else:
            flash(_("The outcome has been recorded."), "success")
    return redirect(url_for("escalation.detail", escalation_id=escalation_id))


@bp.get("/escalation/policies")
@require_role(Role.MANAGER)
def policy_list() -> Any:
    """List the escalation policies."""
    return render_template("escalation/policies.html", policies=policies.list_policies(db.session))


@bp.route("/escalation/policies/new", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def policy_new() -> Any:
    """Create a policy."""
    return edit_policy(None)


@bp.route("/escalation/policies/<int:policy_id>", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def policy_edit(policy_id: int) -> Any:
    """Change a policy; running chains keep the copy they started with."""
    return edit_policy(board.get_policy(db.session, policy_id) or abort(404))


def edit_policy(policy: Any) -> Any:
    """Show and save the policy form."""
    if request.method == "GET" and policy is not None:
        form = PolicyForm(data={**policy.snapshot(), "active": policy.active})
    else:
        form = PolicyForm()
    if form.validate_on_submit():
        try:
            policies.save_policy(
                db.session,
                policy,
                name=form.name.data,
                reason=form.reason.data,
                urgency=form.urgency.data,
                active=form.active.data,
                steps=form.step_values(),
                actor_id=current_user.id,
                now=utcnow(),
            )
        except PolicyInvalid as error:
            for name, message in error.fields.items():
                target = form[name] if name in form else None
                if target is None and name.startswith("steps-"):
                    _steps, index, field_name = name.split("-", 2)
                    target = form.steps[int(index)][field_name]
                (target.errors if target is not None else form.name.errors).append(str(message))
        else:
            flash(_("The policy has been saved."), "success")
            return redirect(url_for("escalation.policy_list"))
    status = 422 if form.errors else 200
    return render_template("escalation/policy_form.html", form=form, policy=policy), status


@bp.route("/escalation/settings", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def settings_page() -> Any:
    """Show and save the escalation settings: channels, SMS rules, links, team webhook, voice, callbacks."""
    if request.method == "GET":
        form = SettingsForm.from_settings(policies.escalation_settings(db.session))
    else:
        form = SettingsForm()
    if form.validate_on_submit():
        try:
            changed = policies.save_settings(db.session, form.setting_values(), actor_id=current_user.id, now=utcnow())
        except SettingsInvalid as error:
            form.add_errors(error.fields)
        else:
            flash(_("The escalation settings have been saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("escalation.settings_page"))
    elif form.is_submitted():
        # Show every wrong value at once, not only those the form's own checks caught.
        form.add_errors(policies.validate_settings(form.setting_values()))
    status = 422 if form.errors else 200
    return render_template("escalation/settings.html", form=form), status


def query_bool(name: str) -> bool | None:
    """Parse an optional true/false query parameter, or raise a 400 ApiError."""
    raw = (request.args.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    raise ApiError(400, "invalid_parameter", f"{name} must be true or false", {name: raw})


@bp.get(f"{API_PREFIX}/referrals")
@logged_in
def api_referrals() -> Any:
    """List referrals.
    ---
    get:
      summary: Referrals with their case, target, state, deadline, steps and notification attempts
      security: [{bearer: []}]
      parameters:
        - {name: status, in: query, required: false, schema: {type: string,
           enum: [pending, notified, acknowledged, accepted, declined, expired, done]}}
        - {name: overdue, in: query, required: false, schema: {type: boolean}}
      responses:
        200:
          description: '{"referrals": [...]}, newest first (at most 200); only those of cases you may read'
        400:
          description: A parameter has a wrong value
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        401:
          description: Not authenticated
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in ReferralStatus}:
        raise ApiError(400, "invalid_parameter", "unknown status", {"status": status})
    now = utcnow()
    readable = need_to_know.readable_case_ids(db.session, current_user, now)
    rows = board.list_referrals(db.session, now, status=status, overdue=query_bool("overdue"), readable=readable)
    return jsonify({"referrals": [board.referral_json(referral, now) for referral in rows]})


@bp.get(f"{API_PREFIX}/referrals/<int:referral_id>")
@logged_in
def api_referral(referral_id: int) -> Any:
    """Return one referral.
    ---
    get:
      summary: One referral with its case, target, state, deadline, steps and notification attempts
      security: [{bearer: []}]
      parameters:
        - {name: referral_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: The referral
        401:
          description: Not authenticated
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        403:
          description: "need_to_know: the case is not one you handled (break glass on its page first)"
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        404:
          description: No such referral
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    referral = board.get_referral(db.session, referral_id)
    if referral is None:
        raise ApiError(404, "not_found", "no such referral")
    if not (referral.target_kind == "user" and referral.target_id == current_user.id):
        guard_case_id(referral.case_id)
    return jsonify(board.referral_json(referral, utcnow()))


@bp.get("/messages/")
@require_role(Role.MANAGER)
def messages_page() -> Any:
    """List sent, failed and waiting SMS and robot messages, filtered by channel, state, kind and dates."""
    form = MessageFilterForm(request.args)
    form.fill_kinds(MESSAGE_KINDS)
    valid = form.validate() if request.args else True
    criteria = messages.MessageFilter(page=request.args.get("page", 1, type=int))
    if valid:
        criteria.channel, criteria.state = form.channel.data or None, form.state.data or None
        criteria.kind = form.kind.data or None
        criteria.date_from, criteria.date_to = form.date_from.data, form.date_to.data
    result = messages.list_messages(db.session, criteria)
    args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template(
        "escalation/messages.html",
        form=form,
        result=result,
        args=args,
        kinds=MESSAGE_KINDS,
        states=MESSAGE_STATES,
        through=SENT_THROUGH,
    ), (200 if valid else 422)
