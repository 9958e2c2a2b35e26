"""The summary API, report pages, exports that read back with the page's numbers, and their audit entries."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from hotline.reports.exports import format_figure
from hotline.reports.figures import FIELDS
from tests.reports.test_services import EXPECTED_TOTALS

RANGE = "from=2026-03-01&to=2026-03-02"


def test_the_summary_api_gives_the_figures_to_managers(client: Any, login_as: Any, known_calls: Any) -> None:
    login_as("manager")
    body = client.get(f"/api/v1/reports/summary?{RANGE}").get_json()
    assert {name: body[name] for name in FIELDS} == EXPECTED_TOTALS
    assert [row["day"] for row in body["by_day"]] == ["2026-03-01", "2026-03-02"]
    assert {"by_service", "by_area"} <= set(body)


def test_the_summary_api_checks_its_dates(client: Any, login_as: Any) -> None:
    login_as("manager")
    missing = client.get("/api/v1/reports/summary?from=2026-03-01")
    assert missing.status_code == 400 and "to" in missing.get_json()["error"]["message"]
    assert client.get("/api/v1/reports/summary?from=2026-03-01&to=2026-3-5").status_code == 400
    reversed_range = client.get("/api/v1/reports/summary?from=2026-03-05&to=2026-03-01").get_json()
    assert (reversed_range["from"], reversed_range["to"]) == ("2026-03-01", "2026-03-05")
    too_long = client.get("/api/v1/reports/summary?from=2026-03-01&to=2028-03-01").get_json()
    assert (too_long["from"], too_long["to"]) == ("2026-03-01", "2027-03-02")


def test_supervisors_read_the_figures_but_not_exports_or_the_monthly_report(
    client: Any, login_as: Any, known_calls: Any
) -> None:
    login_as("supervisor")
    body = client.get(f"/api/v1/reports/summary?{RANGE}").get_json()
    assert {name: body[name] for name in FIELDS} == EXPECTED_TOTALS
    page = client.get(f"/reports/worker?{RANGE}").get_data(as_text=True)
    assert "<svg" in page and 'id="callback-figures"' in page
    assert "export.csv" not in page and "/reports/monthly" not in page
    assert 'href="/reports"' in client.get("/").get_data(as_text=True)
    assert client.get(f"/reports/day/export.csv?{RANGE}").status_code == 403
    assert client.get("/reports/monthly?month=2026-03").status_code == 403


def test_workers_may_not_read_reports(client: Any, login_as: Any) -> None:
    login_as("worker")
    assert client.get(f"/api/v1/reports/summary?{RANGE}").status_code == 403
    assert client.get("/reports/day").status_code == 403
    assert "/reports" not in client.get("/").get_data(as_text=True)


def test_the_report_page_offers_the_usual_periods_and_the_callback_figures(
    client: Any, login_as: Any, db_session: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    import time_machine

    from hotline.callbacks.models import CallbackTask

    now = datetime(2026, 3, 11, 4, 0, tzinfo=UTC)  # Wednesday 12:00 in Shanghai
    for index, outcome in enumerate(("reached", "reached", None)):
        db_session.add(
            CallbackTask(
                kind="voicemail",
                created_at=now - timedelta(hours=1),
                due_at=now + timedelta(hours=index),
                outcome=outcome,
                status="closed" if outcome else "open",
                closed_at=now + timedelta(hours=1) if outcome else None,
            )
        )
    db_session.flush()
    with time_machine.travel(now, tick=False):
        login_as("supervisor")
        page = client.get("/reports/day?from=2026-03-11&to=2026-03-11").get_data(as_text=True)
    periods = page.split('id="report-periods"')[1].split("</nav>")[0]
    for first, last in (("2026-03-11", "2026-03-11"), ("2026-03-09", "2026-03-11"), ("2026-03-01", "2026-03-11")):
        assert f"from={first}&amp;to={last}" in periods
    assert "from=2026-02-01&amp;to=2026-02-28" in periods
    figures = page.split('id="callback-figures"')[1].split("</ul>")[0]
    assert '"requested">3<' in figures and '"reached">2<' in figures and '"within-deadline">1<' in figures


def test_the_report_page_shows_a_table_with_charts_and_is_in_the_nav(
    client: Any, login_as: Any, known_calls: Any
) -> None:
    login_as("manager")
    page = client.get(f"/reports/day?{RANGE}").get_data(as_text=True)
    assert "<svg" in page and "2026-03-01" in page and "50.0%" in page and "562.5" in page
    assert 'href="/reports"' in client.get("/").get_data(as_text=True)
    for view in ("hour", "week", "service", "target_group", "area", "worker", "station", "expert"):
        assert client.get(f"/reports/{view}?{RANGE}").status_code == 200, view
    assert client.get("/reports/nonsense").status_code == 404
    assert client.get("/reports/day?from=2026-13-01").status_code == 422


def test_the_xlsx_export_reads_back_with_the_numbers_on_the_page(client: Any, login_as: Any, known_calls: Any) -> None:
    login_as("manager")
    page = client.get(f"/reports/day?{RANGE}").get_data(as_text=True)
    response = client.get(f"/reports/day/export.xlsx?{RANGE}&headers=machine")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["key", "label", *FIELDS]
    by_key = {row[0]: dict(zip(FIELDS, row[2:], strict=True)) for row in rows[2:]}
    assert set(by_key) == {"2026-03-01", "2026-03-02", "total"}
    assert by_key["total"] == EXPECTED_TOTALS
    assert by_key["2026-03-02"]["answer_rate"] == 0.3333 and by_key["2026-03-02"]["satisfaction_avg"] is None
    assert sheet.cell(row=3, column=3 + FIELDS.index("answer_rate")).number_format == "0.0%"
    for values in by_key.values():
        for name, value in values.items():
            assert f">{format_figure(name, value)}<" in page or f"<strong>{format_figure(name, value)}</strong>" in page


def test_the_csv_export_has_the_same_numbers(client: Any, login_as: Any, known_calls: Any) -> None:
    login_as("manager")
    text = client.get(f"/reports/service/export.csv?{RANGE}&headers=machine").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    totals = next(row for row in rows if row["key"] == "total")
    assert totals["calls_offered"] == "8" and totals["answer_rate"] == "0.5" and totals["avg_handle_time_s"] == "562.5"
    crisis = next(row for row in rows if row["key"] == "crisis")
    assert crisis["calls_answered"] == "1" and crisis["satisfaction_avg"] == "3.0"


def test_export_headers_are_labels_in_the_language_and_codes_on_request(
    client: Any, login_as: Any, known_calls: Any
) -> None:
    from hotline.i18n import LANGUAGE_COOKIE

    login_as("manager")
    chinese = client.get(f"/reports/service/export.csv?{RANGE}").data.decode("utf-8-sig").splitlines()[0]
    assert chinese.startswith("代码,项目,进线来电数,") and "calls_offered" not in chinese
    sheet = load_workbook(io.BytesIO(client.get(f"/reports/day/export.xlsx?{RANGE}").data)).active
    first = [str(value) for value in next(sheet.iter_rows(values_only=True))]
    assert "calls_offered" not in first and first[:2] == ["代码", "项目"]
    client.set_cookie(LANGUAGE_COOKIE, "en")
    english = client.get(f"/reports/service/export.csv?{RANGE}").data.decode("utf-8-sig").splitlines()[0]
    assert english.startswith("Row key,Row,Calls offered,Calls answered")
    machine = client.get(f"/reports/service/export.csv?{RANGE}&headers=machine").data.decode("utf-8-sig")
    assert machine.splitlines()[0].startswith("key,label,calls_offered,calls_answered")


def test_exports_are_recorded_and_shown_in_the_audit_log(client: Any, login_as: Any, known_calls: Any) -> None:
    manager = login_as("manager", display_name="郑主任")
    manager.get(f"/reports/station/export.xlsx?{RANGE}")
    page = client.get("/manage/audit?action=export").get_data(as_text=True)
    assert "报表 · 按服务站" in page and "格式：xlsx" in page and "郑主任" in page and "127.0.0.1" in page


def test_the_monthly_report_prints(client: Any, login_as: Any, known_calls: Any) -> None:
    login_as("manager")
    page = client.get("/reports/monthly?month=2026-03").get_data(as_text=True)
    assert "2026-03-31" in page and "<svg" in page and "css/cases.css" in page and "562.5" in page
    css = (Path(__file__).resolve().parents[2] / "hotline/static/css/cases.css").read_text()
    assert "@media print" in css and "@page" in css
    assert client.get("/reports/monthly?month=March").status_code == 400
