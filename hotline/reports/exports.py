"""CSV and XLSX exports with the same numbers as the pages, each recorded in the audit log."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy.orm import Session

from hotline import audit
from hotline.reports.escalation import ESCALATION_FIELDS
from hotline.reports.figures import FIELDS, RATE_FIELDS, SECONDS_FIELDS
from hotline.spreadsheets import append_row, write_csv

FIELD_LABELS: dict[str, Any] = {
    "calls_offered": _l("Calls offered"),
    "calls_answered": _l("Calls answered"),
    "calls_abandoned": _l("Calls abandoned"),
    "answer_rate": _l("Answer rate"),
    "avg_speed_of_answer_s": _l("Average speed of answer (s)"),
    "avg_handle_time_s": _l("Average handle time (s)"),
    "service_level": _l("Service level"),
    "voicemails": _l("Voicemails"),
    "callbacks_requested": _l("Callbacks requested"),
    "referrals_created": _l("Referrals created"),
    "referrals_acknowledged_within_deadline": _l("Referrals acknowledged in time"),
    "first_contact_resolution_rate": _l("First-contact resolution"),
    "satisfaction_avg": _l("Satisfaction (1-5)"),
    "acknowledged": _l("Acknowledged"),
    "acknowledged_within_deadline": _l("Acknowledged in time"),
    "acknowledged_late": _l("Acknowledged late"),
    "not_acknowledged": _l("Not acknowledged"),
    "overdue_now": _l("Overdue now"),
    "median_minutes_to_acknowledge": _l("Median minutes to acknowledge"),
    "with_outcome": _l("With an outcome"),
}


def format_figure(name: str, value: Any) -> str:
    """Format a figure as the pages show it: rates as percent with one decimal, seconds with one."""
    if value is None:
        return "—"
    if name in RATE_FIELDS:
        return f"{value * 100:.1f}%"
    if name in SECONDS_FIELDS or name in ("satisfaction_avg", "median_minutes_to_acknowledge"):
        return f"{value:.1f}" if name != "satisfaction_avg" else f"{value:.2f}"
    return str(value)


@dataclass
class Table:
    """A report table ready to export: its field names and rows of (key, label, figures…)."""

    view: str
    start: date
    end: date
    fields: tuple[str, ...]
    rows: list[dict[str, Any]]


def table_for(view: str, start: date, end: date, rows: list[Any], total: dict[str, Any] | None = None) -> Table:
    """Build an exportable table from breakdown rows (and an optional totals row)."""
    names = ESCALATION_FIELDS if view in ("station", "expert") else FIELDS
    data = [row.as_dict() for row in rows]
    if total is not None:
        data.append({"key": "total", "label": str(_l("Total")), **total})
    return Table(view, start, end, names, data)


MACHINE_HEADERS = "machine"
"""The `headers` value that asks for the field codes as column headers (for scripts)."""


def headers(table: Table, machine: bool) -> list[str]:
    """Return the column headers: the labels in the current language, or the field codes when `machine`."""
    if machine:
        return ["key", "label", *table.fields]
    return [str(_l("Row key")), str(_l("Row")), *(str(FIELD_LABELS[name]) for name in table.fields)]


def to_csv(table: Table, machine: bool = False) -> bytes:
    """Return the table as UTF-8 CSV (with a byte-order mark so spreadsheet programs read Chinese)."""
    rows = ([row["key"], row["label"], *(row[name] for name in table.fields)] for row in table.rows)
    return ("\ufeff" + write_csv(headers(table, machine), rows)).encode("utf-8")


def to_xlsx(table: Table, machine: bool = False) -> bytes:
    """Return the table as an XLSX workbook: headers in row 1, the range in row 2, numbers (rates as %) below.

    With `machine` the headers are the field codes and row 2 also carries the labels.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.view[:31]
    sheet.append(headers(table, machine))
    in_range = str(_l("Range: %(start)s to %(end)s", start=table.start, end=table.end))
    sheet.append(["", in_range, *(str(FIELD_LABELS[name]) for name in table.fields)] if machine else ["", in_range])
    for row in table.rows:
        append_row(sheet, [_cell(row["key"]), row["label"], *(row[name] for name in table.fields)])
        for column, name in enumerate(table.fields, start=3):
            cell = sheet.cell(row=sheet.max_row, column=column)
            if name in RATE_FIELDS:
                cell.number_format = "0.0%"
            elif name in SECONDS_FIELDS:
                cell.number_format = "0.0"
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(key: Any) -> Any:
    return "" if key is None else key


def record_export(session: Session, table: Table, file_format: str, actor_id: int, address: str | None = None) -> None:
    """Record the export in the audit log."""
    audit.record(
        session,
        "export",
        actor_id=actor_id,
        target=f"report:{table.view}",
        detail={
            "format": file_format,
            "from": table.start.isoformat(),
            "to": table.end.isoformat(),
            "rows": len(table.rows),
        },
        address=address,
    )
    session.commit()
