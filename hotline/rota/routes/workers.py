"""Managers' pages for workers and their certificates (so the rota can be staffed)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from hotline.access import require_role
from hotline.accounts.exceptions import UsernameTaken
from hotline.clock import local, utcnow
from hotline.extensions import db
from hotline.rota import wishes, workers
from hotline.rota.exceptions import NotFound
from hotline.rota.forms import CertificateForm, NewWorkerForm, WorkerForm, describe_wish
from hotline.rota.routes import bp
from hotline.rota.rules import load_rules
from hotline.vocabulary import Role


@bp.get("/manage/workers")
@require_role(Role.MANAGER)
def workers_page() -> Any:
    """List workers with their certificates, expiring and lapsed ones highlighted."""
    today = local(utcnow()).date()
    rows = workers.list_workers(db.session, today, load_rules(db.session).certificate_warning_days)
    flagged = workers.flagged_assignments(db.session, utcnow())
    return render_template("rota/workers.html", rows=rows, flagged=flagged, today=today)


@bp.route("/manage/workers/new", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def new_worker() -> Any:
    """Add a worker (an account with rota details)."""
    form = NewWorkerForm()
    if form.validate_on_submit():
        try:
            user = workers.create_worker(
                db.session,
                form.username.data,
                form.display_name.data,
                form.role.data,
                form.password.data,
                form.phone.data,
                form.skills.data,
                form.max_hours.data,
            )
        except UsernameTaken:
            form.username.errors.append(_("This username is taken."))
        else:
            flash(_("The worker has been added. Now record their certificate."), "success")
            return redirect(url_for("rota.worker_page", user_id=user.id))
    return render_template("rota/worker_new.html", form=form), 422 if form.errors else 200


def render_worker(user_id: int, form: WorkerForm | None = None, cert_form: CertificateForm | None = None) -> Any:
    """Render one worker's page."""
    try:
        user = workers.get_worker(db.session, user_id)
    except NotFound:
        abort(404)
    if form is None:
        form = WorkerForm(obj=user)
        form.max_hours.data = workers.max_hours_of(db.session, user.id)
    status = 422 if form.errors or (cert_form and cert_form.errors) else 200
    return render_template(
        "rota/worker.html",
        user=user,
        form=form,
        cert_form=cert_form or CertificateForm(prefix="cert"),
        flagged=workers.flagged_assignments(db.session, utcnow(), user.id),
        today=local(utcnow()).date(),
        wishes=wishes.wishes_of(db.session, user.id),
        describe_wish=describe_wish,
    ), status


@bp.route("/manage/workers/<int:user_id>", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def worker_page(user_id: int) -> Any:
    """Show and edit a worker's details and certificates."""
    form = WorkerForm()
    if form.validate_on_submit():
        try:
            workers.update_worker(
                db.session, user_id, form.display_name.data, form.phone.data, form.skills.data, form.max_hours.data
            )
        except NotFound:
            abort(404)
        flash(_("The worker has been saved."), "success")
        return redirect(url_for("rota.worker_page", user_id=user_id))
    return render_worker(user_id, form if form.is_submitted() else None)


@bp.post("/manage/workers/<int:user_id>/certificates")
@require_role(Role.MANAGER)
def add_certificate(user_id: int) -> Any:
    """Record a certificate for a worker."""
    form = CertificateForm(prefix="cert")
    if not form.validate_on_submit():
        return render_worker(user_id, cert_form=form)
    try:
        workers.save_certificate(
            db.session,
            user_id,
            form.level.data,
            form.number.data,
            form.issuing_body.data,
            form.valid_until.data,
            form.registered_on.data,
        )
    except NotFound:
        abort(404)
    flash(_("The certificate has been recorded."), "success")
    return redirect(url_for("rota.worker_page", user_id=user_id))


@bp.post("/manage/workers/<int:user_id>/certificates/<int:certificate_id>/delete")
@require_role(Role.MANAGER)
def delete_certificate(user_id: int, certificate_id: int) -> Any:
    """Remove a certificate entered by mistake."""
    try:
        workers.delete_certificate(db.session, user_id, certificate_id)
    except NotFound:
        abort(404)
    flash(_("The certificate has been removed."), "info")
    return redirect(url_for("rota.worker_page", user_id=user_id))
