"""A worker's own rota page: their shifts, leave and swap requests, wishes, notices, and calendar feed links."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import logged_in, public
from hotline.clock import local, to_utc, utcnow
from hotline.extensions import db
from hotline.rota import feeds, notices, swaps, wishes
from hotline.rota.exceptions import NotEligible, NotFound, RequestNotValid
from hotline.rota.forms import EVERY, LeaveForm, SwapForm, WishForm, describe_wish
from hotline.rota.routes import bp
from hotline.rota.services import my_shifts
from hotline.vocabulary import Role


def render_mine(
    leave_form: LeaveForm | None = None,
    swap_form: SwapForm | None = None,
    wish_form: WishForm | None = None,
    **extra: Any,
) -> Any:
    """Render the worker's rota page."""
    now = utcnow()
    wish_form = (wish_form or WishForm(prefix="wish")).fill(wishes.shift_labels(db.session, now))
    shifts = my_shifts(db.session, current_user, now, days=42)
    swap_form = swap_form or SwapForm(prefix="swap")
    swap_form.shift_id.choices = [
        (shift.id, f"{local(shift.starts_at):%Y-%m-%d %H:%M} {shift.label}")
        for shift, _a in shifts
        if shift.starts_at > now
    ]
    colleagues: dict[int, str] = {}
    for shift_id, _label in swap_form.shift_id.choices:
        for user in swaps.eligible_colleagues(db.session, current_user, shift_id, now):
            colleagues[user.id] = user.display_name
    swap_form.colleague_id.choices = sorted(colleagues.items(), key=lambda item: item[1])
    my_swaps, my_leaves = swaps.requests_of(db.session, current_user)
    status = 422 if (leave_form and leave_form.errors) or swap_form.errors or wish_form.errors else 200
    return render_template(
        "rota/mine.html",
        now=now,
        shifts=shifts,
        leave_form=leave_form or LeaveForm(prefix="leave"),
        swap_form=swap_form,
        my_swaps=my_swaps,
        my_leaves=my_leaves,
        notices=notices.notices_for(db.session, current_user.id),
        tokens=feeds.feed_tokens(db.session, current_user),
        wish_form=wish_form,
        my_wishes=wishes.wishes_of(db.session, current_user.id),
        describe_wish=describe_wish,
        is_manager=current_user.has_role(Role.MANAGER),
        **extra,
    ), status


@bp.get("/rota/mine")
@logged_in
def mine() -> Any:
    """Show my shifts, requests, notices and feed links."""
    return render_mine()


@bp.post("/rota/mine/leave")
@logged_in
def ask_leave() -> Any:
    """Ask for leave."""
    form = LeaveForm(prefix="leave")
    if form.validate_on_submit():
        try:
            swaps.request_leave(
                db.session,
                current_user,
                to_utc(form.starts_at.data),
                to_utc(form.ends_at.data),
                utcnow(),
                form.reason.data,
            )
        except RequestNotValid as refused:
            form.ends_at.errors.append(str(refused))
        else:
            flash(_("Your leave request has been sent to the managers."), "success")
            return redirect(url_for("rota.mine"))
    return render_mine(leave_form=form)


@bp.post("/rota/mine/swap")
@logged_in
def ask_swap() -> Any:
    """Ask a colleague to take a shift (or to exchange shifts)."""
    form = SwapForm(prefix="swap")
    # The choices are rebuilt by render_mine; accept any integers here and let the service check them.
    form.shift_id.choices = [(form.shift_id.data, "")] if form.shift_id.data else []
    form.colleague_id.choices = [(form.colleague_id.data, "")] if form.colleague_id.data else []
    if form.validate_on_submit():
        try:
            swaps.request_swap(
                db.session,
                current_user,
                form.shift_id.data,
                form.colleague_id.data,
                utcnow(),
                form.colleague_shift_id.data,
                form.reason.data,
            )
        except (NotFound, NotEligible) as refused:
            form.colleague_id.errors.append(str(refused) or _("This swap is not possible."))
        else:
            flash(_("Your swap request has been sent to the managers."), "success")
            return redirect(url_for("rota.mine"))
    return render_mine(swap_form=form)


@bp.post("/rota/mine/wishes")
@logged_in
def add_wish() -> Any:
    """Say which days or shifts I would like, or would rather not, have in the automatic draft."""
    form = WishForm(prefix="wish").fill(wishes.shift_labels(db.session, utcnow()))
    if form.validate_on_submit():
        try:
            wishes.save_wish(
                db.session,
                current_user.id,
                int(form.weekday.data) if form.weekday.data != EVERY else None,
                form.label.data if form.label.data != EVERY else None,
                int(form.wish.data),
                utcnow(),
            )
        except RequestNotValid as refused:
            form.label.errors.append(str(refused))
        else:
            flash(_("Your wish is saved; the automatic draft takes it into account when the rules allow."), "success")
            return redirect(url_for("rota.mine"))
    return render_mine(wish_form=form)


@bp.post("/rota/mine/wishes/<int:wish_id>/delete")
@logged_in
def remove_wish(wish_id: int) -> Any:
    """Remove one of my wishes."""
    try:
        wishes.remove_wish(db.session, current_user.id, wish_id)
    except NotFound:
        abort(404)
    flash(_("Your wish has been removed."), "info")
    return redirect(url_for("rota.mine"))


@bp.post("/rota/mine/<kind>/<int:request_id>/cancel")
@logged_in
def cancel(kind: str, request_id: int) -> Any:
    """Withdraw one of my pending requests."""
    if kind not in ("swap", "leave"):
        abort(404)
    try:
        swaps.cancel_request(db.session, current_user, kind, request_id)
    except NotFound:
        abort(404)
    flash(_("Your request has been withdrawn."), "info")
    return redirect(url_for("rota.mine"))


@bp.post("/rota/mine/notices/read")
@logged_in
def read_notices() -> Any:
    """Mark my notices read."""
    notices.mark_read(db.session, current_user.id, utcnow())
    return redirect(url_for("rota.mine"))


@bp.post("/rota/mine/feeds")
@logged_in
def new_feed() -> Any:
    """Create a calendar feed link (my shifts, or the whole rota for managers)."""
    scope = feeds.ALL if request.form.get("scope") == feeds.ALL else feeds.OWN
    try:
        token = feeds.issue_feed_token(db.session, current_user, scope, utcnow())
    except NotFound:
        abort(403)
    return render_mine(new_feed_url=url_for("rota.ical", token=token, _external=True))


@bp.post("/rota/mine/feeds/<int:token_id>/revoke")
@logged_in
def revoke_feed(token_id: int) -> Any:
    """Revoke a calendar feed link."""
    try:
        feeds.revoke_feed_token(db.session, current_user, token_id, utcnow())
    except NotFound:
        abort(404)
    flash(_("The calendar link has been revoked."), "info")
    return redirect(url_for("rota.mine"))


@bp.get("/ical/<token>.ics")
@public("calendar apps cannot log in; the unguessable, revocable token in the URL is the credential")
def ical(token: str) -> Any:
    """Serve a calendar feed."""
    try:
        body = feeds.feed(db.session, token, utcnow())
    except NotFound:
        abort(404)
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = "inline; filename=rota.ics"
    return response
