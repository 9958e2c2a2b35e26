"""Case pages: list and search, the case page with its timeline, and the actions on a case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import logged_in, require_role
from hotline.cases import casework, followups, need_to_know
from hotline.cases.exceptions import (
    CaseNotFound,
    CaseNotReady,
    FollowUpNotFound,
    InvalidTransition,
    MergeRefused,
    NoCallbackConsent,
)
from hotline.cases.forms import (
    AssignForm,
    BreakGlassForm,
    CloseForm,
    FollowUpDoneForm,
    FollowUpForm,
    MergeForm,
    NoteForm,
    ReopenForm,
    ReturnCallForm,
    SearchForm,
    StatusForm,
)
from hotline.cases.guard import guard_case, readable_case
from hotline.clock import to_utc, utcnow
from hotline.extensions import db
from hotline.vocabulary import Role

bp = Blueprint("cases", __name__)


def blocker_text(code: str) -> str:
    """Return the translated reason a case cannot close."""
    return {
        "outcome_not_confirmed": _("Confirm the outcome first."),
        "follow_ups_pending": _("A follow-up is still pending."),
        "referrals_open": _("A referral has no outcome yet."),
    }.get(code, code)


def worker_choices(blank: str) -> list[tuple[str, str]]:
    """Return (id, name) pairs of active people, with a blank first."""
    return [("", blank)] + [(str(user.id), user.display_name) for user in casework.workers(db.session)]


def load_case(case_id: int) -> Any:
    """Return the case the current user may read: 404 when there is none, the break-glass page otherwise."""
    return readable_case(case_id)


def may_work_on(case: Any) -> bool:
    """Return whether the current user may change the case: its assignee, or a supervisor."""
    return need_to_know.reads_every_case(current_user) or case.assigned_to_id == current_user.id


def to_case(case_id: int, anchor: str = "") -> Any:
    """Redirect to the case page."""
    return redirect(url_for("cases.case_page", case_id=case_id) + (f"#{anchor}" if anchor else ""))


@bp.get("/cases")
@logged_in
def case_list() -> Any:
    """List and search cases (by caller number through the keyed hash, area, service, status, worker, dates)."""
    form = SearchForm(request.args)
    form.fill_choices(casework.area_choices(db.session), worker_choices(_("Anyone"))[1:])
    valid = form.validate() if request.args else True
    now = utcnow()
    criteria = casework.CaseFilter(
        page=request.args.get("page", 1, type=int),
        readable=need_to_know.readable_case_ids(db.session, current_user, now),
    )
    status = 200 if valid else 422
    region = current_app.config.get("DEFAULT_REGION", "CN")
    if valid and form.phone.data:
        if not casework.may_search_phone(db.session, current_user, form.phone.data, region, now):
            form.phone.errors = [
                _("Only supervisors, and the worker on a live call with this number, may search by it.")
            ]
            valid, status = False, 403
    if valid:
        criteria.phone = form.phone.data or None
        criteria.reference = form.reference.data or None
        criteria.area_id = int(form.area_id.data) if form.area_id.data else None
        criteria.service = form.service.data or None
        criteria.target_group = form.target_group.data or None
        criteria.status = form.status.data or None
        criteria.worker_id = int(form.worker_id.data) if form.worker_id.data else None
        criteria.date_from, criteria.date_to = form.date_from.data, form.date_to.data
    page = casework.search_cases(db.session, criteria, region, searcher_id=current_user.id, now=now)
    args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template("cases/list.html", form=form, result=page, args=args, now=now), status


def render_case(case_id: int, status: int = 200, **forms: Any) -> Any:
    """Render the case page (recording the view) with its forms."""
    load_case(case_id)
    try:
        view = casework.view_case(db.session, case_id, current_user.id, utcnow(), request.remote_addr)
    except CaseNotFound:
        abort(404)
    assign = forms.get("assign_form") or AssignForm(assignee_id=str(view.case.assigned_to_id or ""))
    assign.assignee_id.choices = worker_choices(_("Nobody"))
    follow_up = forms.get("follow_up_form") or FollowUpForm(assignee_id=str(current_user.id))
    follow_up.assignee_id.choices = worker_choices(_("Nobody"))
    context = {
        "view": view,
        "case": view.case,
        "now": utcnow(),
        "can_work": may_work_on(view.case),
        "full_number": need_to_know.reads_every_case(current_user) or view.case.assigned_to_id == current_user.id,
        "blockers": [blocker_text(code) for code in view.close_blockers],
        "note_form": forms.get("note_form") or NoteForm(),
        "assign_form": assign,
        "status_form": forms.get("status_form") or StatusForm(status=view.case.status),
        "close_form": forms.get("close_form") or CloseForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "follow_up_form": follow_up,
        "return_form": forms.get("return_form") or ReturnCallForm(),
        "done_form": FollowUpDoneForm(),
        "overdue_after": casework.OVERDUE_AFTER,
    }
    return render_template("cases/case.html", **context), status


@bp.get("/cases/<int:case_id>")
@logged_in
def case_page(case_id: int) -> Any:
    """Show a case with its timeline (the view is recorded in the audit log)."""
    return render_case(case_id)


@bp.post("/cases/<int:case_id>/notes")
@logged_in
def add_note(case_id: int) -> Any:
    """Add a note."""
    load_case(case_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_case(case_id, 422, note_form=form)
    casework.add_note(db.session, case_id, current_user.id, form.body.data, utcnow())
    return to_case(case_id, "timeline")


@bp.post("/cases/<int:case_id>/assign")
@require_role(Role.SUPERVISOR)
def assign(case_id: int) -> Any:
    """Give the case to someone."""
    load_case(case_id)
    form = AssignForm()
    form.assignee_id.choices = worker_choices(_("Nobody"))
    if not form.validate_on_submit():
        return render_case(case_id, 422, assign_form=form)
    assignee = int(form.assignee_id.data) if form.assignee_id.data else None
    casework.assign_case(db.session, case_id, assignee, current_user.id, utcnow())
    flash(_("The case has been assigned."), "success")
    return to_case(case_id)


@bp.post("/cases/<int:case_id>/status")
@logged_in
def change_status(case_id: int) -> Any:
    """Move the case between open, in progress and referred."""
    if not may_work_on(load_case(case_id)):
        abort(403)
    form = StatusForm()
    if not form.validate_on_submit():
        return render_case(case_id, 422, status_form=form)
    try:
        casework.set_status(db.session, case_id, form.status.data, current_user.id, utcnow())
    except InvalidTransition:
        flash(_("A closed case must be reopened first."), "error")
    return to_case(case_id)


@bp.post("/cases/<int:case_id>/close")
@logged_in
def close(case_id: int) -> Any:
    """Close the case once its outcome is confirmed and nothing is left open."""
    if not may_work_on(load_case(case_id)):
        abort(403)
    form = CloseForm()
    if not form.validate_on_submit():
        return render_case(case_id, 422, close_form=form)
    try:
        casework.close_case(
            db.session, case_id, form.confirmed_outcome.data or None, current_user.id, utcnow(), form.note.data
        )
    except CaseNotReady as exc:
        form.confirmed_outcome.errors = [blocker_text(code) for code in exc.reasons]
        return render_case(case_id, 422, close_form=form)
    except InvalidTransition:
        flash(_("The case is already closed."), "info")
        return to_case(case_id)
    flash(_("The case has been closed."), "success")
    return to_case(case_id)


@bp.post("/cases/<int:case_id>/reopen")
@require_role(Role.SUPERVISOR)
def reopen(case_id: int) -> Any:
    """Reopen a closed case."""
    load_case(case_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        return render_case(case_id, 422, reopen_form=form)
    try:
        casework.reopen_case(db.session, case_id, current_user.id, utcnow(), form.reason.data)
    except InvalidTransition:
        flash(_("Only a closed case can be reopened."), "error")
    return to_case(case_id)


@bp.post("/cases/<int:case_id>/merge")
@require_role(Role.SUPERVISOR)
def merge(case_id: int) -> Any:
    """Merge a duplicate (named by its reference) into this case."""
    load_case(case_id)
    form = MergeForm()
    if form.validate_on_submit():
        duplicate = casework.find_case_by_reference(db.session, form.duplicate.data)
        if duplicate is None:
            form.duplicate.errors.append(_("No case has this reference."))
        else:
            try:
                casework.merge_cases(db.session, case_id, duplicate.id, current_user.id, utcnow())
            except MergeRefused:
                form.duplicate.errors.append(_("These cases cannot be merged."))
            else:
                flash(_("The duplicate has been merged into this case."), "success")
                return to_case(case_id)
    return render_case(case_id, 422, merge_form=form)


@bp.post("/cases/<int:case_id>/follow-ups")
@logged_in
def schedule(case_id: int) -> Any:
    """Schedule a callback or return call."""
    load_case(case_id)
    form = FollowUpForm()
    form.assignee_id.choices = worker_choices(_("Nobody"))
    if form.validate_on_submit():
        assignee = int(form.assignee_id.data) if form.assignee_id.data else None
        try:
            followups.schedule_follow_up(
                db.session,
                case_id,
                to_utc(form.due_at.data),
                assignee,
                current_user.id,
                utcnow(),
                form.kind.data,
                form.note.data,
            )
        except NoCallbackConsent:
            form.kind.errors = [_("The caller did not agree to be called back.")]
        else:
            flash(_("The follow-up has been scheduled."), "success")
            return to_case(case_id, "follow-ups")
    return render_case(case_id, 422, follow_up_form=form)


@bp.post("/cases/<int:case_id>/return-calls")
@logged_in
def return_call(case_id: int) -> Any:
    """Record a return call (回访)."""
    load_case(case_id)
    form = ReturnCallForm()
    if form.validate_on_submit():
        try:
            followups.record_return_call(
                db.session,
                case_id,
                current_user.id,
                utcnow(),
                reached=form.reached.data,
                problem_solved=form.problem_solved.data or None,
                satisfaction=form.satisfaction.data,
                note=form.note.data,
                follow_up_id=form.follow_up_id.data,
            )
        except NoCallbackConsent:
            form.reached.errors = [_("The caller did not agree to be called back.")]
        except FollowUpNotFound:
            abort(404)
        else:
            flash(_("The return call has been recorded."), "success")
            return to_case(case_id, "timeline")
    return render_case(case_id, 422, return_form=form)


@bp.get("/follow-ups")
@logged_in
def follow_up_list() -> Any:
    """List follow-ups: one's own, or everyone's for supervisors (?all=1); overdue ones first."""
    everyone = need_to_know.reads_every_case(current_user) and request.args.get("all") == "1"
    lists = followups.list_follow_ups(db.session, utcnow(), None if everyone else current_user.id)
    return render_template(
        "cases/follow_ups.html", lists=lists, everyone=everyone, now=utcnow(), done_form=FollowUpDoneForm()
    )


def load_follow_up_for_work(follow_up_id: int) -> Any:
    """Return a follow-up the current user may act on, or 404/403."""
    try:
        follow_up = followups.get_follow_up(db.session, follow_up_id)
    except FollowUpNotFound:
        abort(404)
    if follow_up.assignee_id != current_user.id and not need_to_know.reads_every_case(current_user):
        guard_case(follow_up.case)
        abort(403)
    return follow_up


@bp.post("/follow-ups/<int:follow_up_id>/done")
@logged_in
def follow_up_done(follow_up_id: int) -> Any:
    """Record a follow-up's outcome."""
    follow_up = load_follow_up_for_work(follow_up_id)
    form = FollowUpDoneForm()
    if form.validate_on_submit():
        try:
            followups.complete_follow_up(
                db.session, follow_up.id, form.outcome.data, current_user.id, utcnow(), form.note.data
            )
        except FollowUpNotFound:
            flash(_("This follow-up is not pending any more."), "info")
        else:
            flash(_("The follow-up's outcome has been recorded."), "success")
    return redirect(
        request.form.get("next") == "case"
        and url_for("cases.case_page", case_id=follow_up.case_id)
        or url_for("cases.follow_up_list")
    )


@bp.post("/follow-ups/<int:follow_up_id>/cancel")
@logged_in
def follow_up_cancel(follow_up_id: int) -> Any:
    """Cancel a pending follow-up."""
    follow_up = load_follow_up_for_work(follow_up_id)
    try:
        followups.cancel_follow_up(db.session, follow_up.id, current_user.id, utcnow())
    except FollowUpNotFound:
        flash(_("This follow-up is not pending any more."), "info")
    return redirect(url_for("cases.case_page", case_id=follow_up.case_id))


@bp.post("/cases/<int:case_id>/break-glass")
@logged_in
def break_glass(case_id: int) -> Any:
    """Open a case one has no need-to-know for, with a reason (audited, listed for the supervisors)."""
    try:
        case = casework.get_case(db.session, case_id)
    except CaseNotFound:
        abort(404)
    form = BreakGlassForm()
    if not form.validate_on_submit():
        return render_template("cases/break_glass.html", case=case, form=form), 422
    need_to_know.break_glass(db.session, case, current_user, form.reason.data, utcnow())
    target = form.next.data or ""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = url_for("cases.case_page", case_id=case.id)
    return redirect(target)


@bp.get("/cases/break-glass")
@require_role(Role.SUPERVISOR)
def break_glass_list() -> Any:
    """List the break-glass accesses of the last 30 days: who opened which case, when and why."""
    now = utcnow()
    rows = need_to_know.break_glass_log(db.session, now - timedelta(days=30))
    return render_template("cases/break_glass_list.html", rows=rows, hours=need_to_know.BREAK_GLASS_HOURS)
