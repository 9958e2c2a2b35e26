"""Knowledge exchange pages: export as CSV or a zip of Markdown files, import either (supervisors and managers)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotline import audit
from hotline.access import require_role
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.knowledge import exchange
from hotline.knowledge.exceptions import ImportFailed
from hotline.knowledge.forms import UploadForm
from hotline.knowledge.routes import bp
from hotline.vocabulary import Role


@bp.get("/knowledge/export.csv")
@require_role(Role.SUPERVISOR)
def export_csv() -> Any:
    """Download every article not withdrawn as CSV (audited)."""
    return _export("csv")


@bp.get("/knowledge/export.zip")
@require_role(Role.SUPERVISOR)
def export_zip() -> Any:
    """Download every article not withdrawn as Markdown files in a zip (audited)."""
    return _export("zip")


def _export(fmt: str) -> Any:
    audit.record(db.session, "export", current_user.id, "knowledge", {"format": fmt})
    db.session.commit()
    if fmt == "csv":
        body: Any = "\ufeff" + exchange.export_csv(db.session)  # the BOM makes spreadsheet apps read UTF-8
        mimetype = "text/csv"
    else:
        body, mimetype = exchange.export_zip(db.session), "application/zip"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename=knowledge.{fmt}"})


@bp.post("/knowledge/import")
@require_role(Role.SUPERVISOR)
def import_articles() -> Any:
    """Import articles from a CSV, Markdown or zip file: all or nothing."""
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("Choose a file."), "error")
        return redirect(url_for("knowledge.manage"))
    upload = form.file.data
    try:
        records = exchange.records_of(upload.filename or "", upload.read())
        created, updated = exchange.import_records(db.session, records, current_user.id, utcnow(), form.publish.data)
    except ImportFailed as failure:
        for where, message in failure.errors[:20]:
            flash(f"{where} {message}".strip(), "error")
        flash(_("Nothing was imported."), "error")
    else:
        audit.record(
            db.session, "knowledge.import", current_user.id, "knowledge", {"created": created, "updated": updated}
        )
        db.session.commit()
        flash(_("Imported: %(created)s new, %(updated)s updated.", created=created, updated=updated), "success")
    return redirect(url_for("knowledge.manage"))
