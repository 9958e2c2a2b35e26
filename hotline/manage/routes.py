"""Manager pages: the audit log (/manage/audit) and data retention (/manage/retention)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import require_role
from hotline.cases import retention
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.manage import audit_labels, services
from hotline.manage.forms import AuditFilterForm, RetentionForm
from hotline.vocabulary import Role

bp = Blueprint("manage", __name__, url_prefix="/manage")


def action_labels() -> dict[str, str]:
    """Return the translated names of the recorded actions."""
    return {action: str(text) for action, text in audit_labels.ACTIONS.items()}


@bp.get("/audit")
@require_role(Role.MANAGER)
def audit_log() -> Any:
    """Browse and filter the audit log: who did what, when, from where."""
    form = AuditFilterForm(request.args)
    choices = services.audit_choices(db.session)
    names = action_labels()
    form.actor_id.choices = [("", _("Anyone"))] + [
        (str(user.id), _("%(name)s (%(detail)s)", name=user.display_name, detail=user.username))
        for user in choices["people"]
    ]
    form.action.choices = [("", _("Anything"))] + [(action, names.get(action, action)) for action in choices["actions"]]
    valid = form.validate() if request.args else True
    criteria = services.AuditFilter(page=request.args.get("page", 1, type=int))
    if valid:
        criteria.actor_id = int(form.actor_id.data) if form.actor_id.data else None
        criteria.action = form.action.data or None
        criteria.target, criteria.address = form.target.data or None, form.address.data or None
        criteria.date_from, criteria.date_to = form.date_from.data, form.date_to.data
    page = services.browse_audit(db.session, criteria)
    args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template(
        "manage/audit.html",
        form=form,
        result=page,
        names=names,
        args=args,
        audit_target=audit_labels.target_label,
        audit_details=audit_labels.details,
    ), 200 if valid else 422


@bp.route("/retention", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def retention_page() -> Any:
    """Show and change the retention periods, with a dry run of what the next run removes."""
    current = retention.periods(db.session)
    form = RetentionForm(data=current)
    if form.validate_on_submit():
        retention.save_periods(
            db.session, {name: getattr(form, name).data for name in current}, current_user.id, utcnow()
        )
        flash(_("The retention periods have been saved."), "success")
        return redirect(url_for("manage.retention_page"))
    report = retention.run_retention(db.session, utcnow(), dry_run=True)
    labels = {
        "recordings": _("Call recordings (voicemails), deleted from the phone network too"),
        "case_callers": _("Callers' names and numbers on closed cases"),
        "call_numbers": _("Caller numbers on calls"),
        "intake_drafts": _("Unsaved intake drafts"),
    }
    active = {rule.period_key for rule in retention.RULES}
    return render_template("manage/retention.html", form=form, report=report, labels=labels, active=active), (
        422 if form.errors else 200
    )
