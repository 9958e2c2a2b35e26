"""Need-to-know at the door of every page and API route that shows a case.

`readable_case(case_id)` returns the case the current user may read; otherwise
the request ends with the break-glass page (pages) or a 403 `need_to_know`
error (API). Other packages' routes that show a case call `guard_case`.
"""

from __future__ import annotations

from typing import NoReturn

from flask import abort, make_response, render_template, request, url_for
from flask_login import current_user

from hotline.api import ApiError
from hotline.cases import casework, need_to_know
from hotline.cases.exceptions import CaseNotFound
from hotline.cases.forms import BreakGlassForm
from hotline.cases.models import Case
from hotline.clock import utcnow
from hotline.extensions import db


def refuse(case: Case, **extra: object) -> NoReturn:
    """End the request: the break-glass page for the case (403), or the API's need_to_know error."""
    if request.path.startswith("/api/"):
        raise ApiError(
            403,
            "need_to_know",
            "You did not handle this case; open it on its page and give a reason (break glass).",
            {"break_glass_url": url_for("cases.break_glass", case_id=case.id)},
        )
    form = extra.pop("form", None) or BreakGlassForm(next=request.full_path if request.method == "GET" else "")
    page = render_template("cases/break_glass.html", case=case, form=form, **extra)
    abort(make_response(page, 403))


def guard_case(case: Case, **extra: object) -> Case:
    """Return the case if the current user may read it, else refuse (see `refuse`)."""
    if not need_to_know.may_read_case(db.session, case, current_user, utcnow()):
        refuse(case, **extra)
    return case


def readable_case(case_id: int) -> Case:
    """Return the case the current user may read: 404 when there is none, else the break-glass refusal."""
    try:
        case = casework.get_case(db.session, case_id)
    except CaseNotFound:
        if request.path.startswith("/api/"):
            raise ApiError(404, "not_found", "no such case") from None
        abort(404)
    return guard_case(case)


def guard_case_id(case_id: int | None, **extra: object) -> None:
    """Refuse unless the user may read the case with this id (nothing to check when there is none)."""
    if case_id is None:
        return
    try:
        guard_case(casework.get_case(db.session, case_id), **extra)
    except CaseNotFound:
        return
