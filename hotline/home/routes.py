"""The landing page: each role sees its own."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from hotline.access import require_role
from hotline.clock import hotline_zone, utcnow
from hotline.extensions import db
from hotline.home import services
from hotline.rota.services import my_shifts
from hotline.vocabulary import Role
from hotline.workdays import services as workdays

bp = Blueprint("home", __name__)


@bp.get("/")
@require_role(Role.STATION)
def index() -> Any:
    """Show the landing page for the user's role (a station account's is its open work orders)."""
    if current_user.role_enum == Role.STATION:
        return redirect(url_for("workorders.mine"))
    now = utcnow()
    local_now = now.astimezone(hotline_zone())
    today = local_now.date()
    day_start = datetime.combine(today, time.min, tzinfo=hotline_zone())
    context: dict[str, Any] = {
        "now": now,
        "today": today,
        "shifts": my_shifts(db.session, current_user, now),
        "certification": current_user.valid_certification(today),
    }
    if current_user.has_role(Role.MANAGER):
        context["calendar_pending"] = workdays.next_year_pending(db.session, today)
        db.session.commit()  # the year may have been seeded just now
    if current_user.has_role(Role.SUPERVISOR):
        context["on_duty"] = services.on_duty_now(db.session, now)
        context["overview"] = services.overview(db.session, day_start, today)
    template = {
        Role.WORKER: "home/worker.html",
        Role.SUPERVISOR: "home/supervisor.html",
        Role.MANAGER: "home/manager.html",
        Role.ADMIN: "home/manager.html",
    }[current_user.role_enum]
    return render_template(template, **context)
