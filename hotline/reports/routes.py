"""Report pages, exports and the summary API.

Supervisors read the figures (pages and the summary API); exports and the monthly
report stay with managers (docs/reports.md, "Who reads what").
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from hotline.access import require_role
from hotline.api import API_PREFIX, ApiError, period, query_date
from hotline.callbacks.services import figures as callback_figures
from hotline.clock import hotline_zone, local, utcnow
from hotline.extensions import db
from hotline.reports import charts, exports, figures, services
from hotline.reports.escalation import ESCALATION_FIELDS, ESCALATION_VIEWS, escalation_breakdown
from hotline.reports.pdf import render_pdf
from hotline.rota.fairness import hours_per_person
from hotline.vocabulary import Role

bp = Blueprint("reports", __name__)
PARTITIONING_VIEWS = ("hour", "day", "week", "service", "area", "worker")
CHART_FIELDS = ("calls_offered", "answer_rate")


def view_titles() -> dict[str, str]:
    """Return the translated title of each view."""
    return {
        "day": _("By day"),
        "hour": _("By hour of day"),
        "week": _("By week"),
        "service": _("By service"),
        "target_group": _("By target group"),
        "area": _("By area"),
        "worker": _("By worker"),
        "station": _("By station"),
        "expert": _("By expert volunteer"),
    }


@bp.get(f"{API_PREFIX}/reports/summary")
@require_role(Role.SUPERVISOR)
def summary_api() -> Response:
    """Return the summary figures for a range of local days.
    ---
    get:
      summary: Call, referral and satisfaction figures for local days from..to, by day, service and area
      description: >-
        The period is the days between from and to, the earlier first, cut to 366 days
        after the earlier; the answer's from and to say which days it covers.
      security: [{bearer: []}]
      parameters:
        - {name: from, in: query, required: true, schema: {type: string, format: date}}
        - {name: to, in: query, required: true, schema: {type: string, format: date}}
      responses:
        200:
          description: The figures (defined in docs/reports.md), each also in by_day, by_service and by_area
        400:
          description: A date is missing or wrong
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        403:
          description: Not a supervisor or manager
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    start, end = query_date("from"), query_date("to")
    if start is None or end is None:
        raise ApiError(400, "invalid_parameter", "from and to are required (YYYY-MM-DD)", {"from": start, "to": end})
    start, end = period(start, end, 366)
    try:
        return jsonify(services.summary(db.session, start, end))
    except services.RangeInvalid as exc:
        raise ApiError(400, "invalid_range", str(exc), {"from": str(start), "to": str(end)}) from exc


def page_range() -> tuple[date, date, str | None]:
    """Return the range of local days asked for (default: this month so far) and an error, if any."""
    today = local(utcnow()).date()
    error = None
    try:
        start = date.fromisoformat(request.args["from"]) if request.args.get("from") else today.replace(day=1)
        end = date.fromisoformat(request.args["to"]) if request.args.get("to") else today
    except ValueError:
        start, end, error = today.replace(day=1), today, _("Dates are written YYYY-MM-DD.")
    if error is None:
        try:
            services.utc_range(start, end)
        except services.RangeInvalid:
            start, end, error = (
                today.replace(day=1),
                today,
                _("The range must run forwards and cover at most 366 days."),
            )
    return start, end, error


def rows_for(view: str, start: date, end: date) -> tuple[list[Any], dict[str, Any] | None]:
    """Return a view's rows and, when its rows partition the range, their totals."""
    if view in ESCALATION_VIEWS:
        return escalation_breakdown(db.session, start, end, view, utcnow()), None
    rows = services.breakdown(db.session, start, end, view)
    total = services.totals(rows).figures() if view in PARTITIONING_VIEWS else None
    return rows, total


def chart_set(view: str, rows: list[Any]) -> list[Any]:
    """Return the charts shown beside a view's table: titled, with a value axis and a legend."""
    labels = [row.label for row in rows]
    by = view_titles()[view]
    if view in ESCALATION_VIEWS:
        figure = _("Referrals created")
        return [
            charts.bar_chart(
                _("%(figure)s · %(view)s", figure=figure, view=by),
                labels,
                [row.figures["referrals_created"] for row in rows],
                axis=figure,
                legend=figure,
            )
        ]
    result = []
    for name in CHART_FIELDS:
        figure = str(exports.FIELD_LABELS[name])
        percent = name in figures.RATE_FIELDS
        result.append(
            charts.bar_chart(
                _("%(figure)s · %(view)s", figure=figure, view=by),
                labels,
                [row.figures[name] for row in rows],
                percent,
                axis=_("%(figure)s (%%)", figure=figure) if percent else figure,
                legend=figure,
            )
        )
    return result


def shortcuts(today: date) -> list[tuple[str, date, date]]:
    """Return the usual periods a report is read for: today, this week, this month, last month."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return [
        (_("Today"), today, today),
        (_("This week"), today - timedelta(days=today.weekday()), today),
        (_("This month"), today.replace(day=1), today),
        (_("Last month"), last_month_end.replace(day=1), last_month_end),
    ]


@bp.get("/reports")
@bp.get("/reports/<view>")
@require_role(Role.SUPERVISOR)
def report(view: str = "day") -> Any:
    """Show one view of the figures for a date range: a table with charts beside it."""
    if view not in services.CALL_VIEWS and view not in ESCALATION_VIEWS:
        abort(404)
    start, end, error = page_range()
    rows, total = rows_for(view, start, end)
    return render_template(
        "reports/report.html",
        view=view,
        titles=view_titles(),
        views=list(services.CALL_VIEWS) + list(ESCALATION_VIEWS),
        start=start,
        end=end,
        error=error,
        rows=rows,
        total=total,
        fields=ESCALATION_FIELDS if view in ESCALATION_VIEWS else figures.FIELDS,
        labels=exports.FIELD_LABELS,
        fmt=exports.format_figure,
        charts=chart_set(view, rows),
        shortcuts=shortcuts(local(utcnow()).date()),
        callbacks=callback_figures(db.session, *services.utc_range(start, end)),
        manager=current_user.has_role(Role.MANAGER),
    ), 422 if error else 200


@bp.get("/reports/<view>/export.<file_format>")
@require_role(Role.MANAGER)
def export(view: str, file_format: str) -> Any:
    """Download a view as CSV or XLSX (recorded in the audit log)."""
    if (view not in services.CALL_VIEWS and view not in ESCALATION_VIEWS) or file_format not in ("csv", "xlsx"):
        abort(404)
    start, end, error = page_range()
    if error:
        abort(400)
    rows, total = rows_for(view, start, end)
    table = exports.table_for(view, start, end, rows, total)
    machine = request.args.get("headers") == exports.MACHINE_HEADERS
    body = exports.to_csv(table, machine) if file_format == "csv" else exports.to_xlsx(table, machine)
    exports.record_export(db.session, table, file_format, current_user.id, request.remote_addr)
    mimetype = (
        "text/csv" if file_format == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"hotline-{view}-{start:%Y%m%d}-{end:%Y%m%d}.{file_format}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def month_range(raw: str | None) -> tuple[date, date]:
    """Return the first and last day of YYYY-MM (default: last month)."""
    if raw:
        try:
            year, month = (int(part) for part in raw.split("-"))
            first = date(year, month, 1)
        except ValueError:
            abort(400)
    else:
        first = (local(utcnow()).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def monthly_context(month: str | None) -> dict[str, Any]:
    """Return what the monthly report shows (the page and the PDF)."""
    start, end = month_range(month)
    now = utcnow()
    sections = {view: rows_for(view, start, end) for view in ("day", "service", "area", "target_group", "worker")}
    escalation = {view: escalation_breakdown(db.session, start, end, view, now) for view in ESCALATION_VIEWS}
    return {
        "start": start,
        "end": end,
        "month": f"{start:%Y-%m}",
        "previous": f"{start - timedelta(days=1):%Y-%m}",
        "following": f"{end + timedelta(days=1):%Y-%m}",
        "totals": sections["day"][1],
        "sections": sections,
        "escalation": escalation,
        "titles": view_titles(),
        "fields": figures.FIELDS,
        "escalation_fields": ESCALATION_FIELDS,
        "labels": exports.FIELD_LABELS,
        "fmt": exports.format_figure,
        "charts": {view: chart_set(view, rows) for view, (rows, _total) in sections.items()},
        "fairness": hours_per_person(db.session, start, end, hotline_zone()),
        "generated": now,
    }


@bp.get("/reports/monthly")
@require_role(Role.MANAGER)
def monthly() -> Any:
    """Show the printable monthly report."""
    return render_template("reports/monthly.html", **monthly_context(request.args.get("month")))


@bp.get("/reports/monthly.pdf")
@require_role(Role.MANAGER)
def monthly_pdf() -> Any:
    """Download the monthly report as a PDF."""
    context = monthly_context(request.args.get("month"))
    body = render_pdf(render_template("reports/monthly_pdf.html", **context), current_app.static_folder or "")
    filename = f"hotline-monthly-{context['month']}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, mimetype="application/pdf", headers=headers)
