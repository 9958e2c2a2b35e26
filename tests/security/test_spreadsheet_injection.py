"""No export carries a live formula: every CSV and XLSX cell that starts like one is neutralised."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from hotline import spreadsheets
from hotline.directory.models import Organisation, Station
from hotline.telephony.models import Call
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import network  # noqa: F401
from tests.reports.conftest import known_calls  # noqa: F401

LINK = '=HYPERLINK("http://x","y")'
RANGE = "from=2026-03-01&to=2026-03-02"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised_in_csv(start: str) -> None:
    value = f"{start}cmd|' /C calc'!A0"
    assert spreadsheets.csv_cell(value) == "'" + value
    assert spreadsheets.restore(spreadsheets.csv_cell(value)) == value


def test_plain_numbers_text_and_none_are_left_alone() -> None:
    for value in ("+8613800138000", "-3", "-2.5", "甲街道站", "a=b", 7, -1.5):
        assert spreadsheets.csv_cell(value) == value
    assert spreadsheets.csv_cell(None) == "" and spreadsheets.restore("'plain") == "'plain"


def test_xlsx_cells_that_look_like_formulas_are_text() -> None:
    workbook = Workbook()
    spreadsheets.append_row(workbook.active, [LINK, "+1+1", 3, "ok"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert b"<f>" not in zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml")
    cell = load_workbook(buffer).active["A1"]
    assert cell.value == LINK and cell.data_type == "s" and cell.quotePrefix


def named_station(db_session: Any, station_id: int) -> None:
    db_session.get(Station, station_id).name = LINK
    db_session.commit()


def test_the_station_report_exports_no_formula(
    client: Any,
    login_as: Any,
    db_session: Any,
    known_calls: Any,  # noqa: F811
) -> None:
    named_station(db_session, known_calls["station"])
    login_as("manager")
    text = client.get(f"/reports/station/export.csv?{RANGE}&headers=machine").data.decode("utf-8-sig")
    labels = [row["label"] for row in csv.DictReader(io.StringIO(text))]
    assert "'" + LINK in labels and LINK not in labels
    data = client.get(f"/reports/station/export.xlsx?{RANGE}").data
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    cells = [cell for row in load_workbook(io.BytesIO(data)).active.iter_rows() for cell in row]
    linked = [cell for cell in cells if cell.value == LINK]
    assert linked and all(cell.data_type == "s" and cell.quotePrefix for cell in linked)


def test_the_worker_report_exports_no_formula(
    client: Any,
    login_as: Any,
    make_user: Any,
    db_session: Any,
    known_calls: Any,  # noqa: F811
) -> None:
    worker = make_user("worker", display_name="@SUM(1+1)*cmd")
    for call in db_session.scalars(select(Call).where(Call.answered_at.is_not(None))):
        call.worker_id = worker.id
    db_session.commit()
    login_as("manager")
    text = client.get(f"/reports/worker/export.csv?{RANGE}").data.decode("utf-8-sig")
    assert "'@SUM(1+1)*cmd" in text and ",@SUM" not in text


def test_directory_exports_neutralise_and_import_back(client: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    network.station.name = LINK
    db_session.add(Organisation(name="-2+3+cmd|' /C calc'!A0", services=["legal"]))
    db_session.commit()
    log_in(client, network.manager)
    text = client.get("/directory/stations/export.csv").get_data(as_text=True).lstrip("\ufeff")
    names = [row["name"] for row in csv.DictReader(io.StringIO(text))]
    assert "'" + LINK in names and LINK not in names
    bundle = zipfile.ZipFile(io.BytesIO(client.get("/directory/hsds/export.zip").data))
    organisations = bundle.read("organizations.csv").decode()
    assert "'-2+3+cmd" in organisations and ",-2+3" not in organisations
    # An exported file imports back to the same names, not to names with an apostrophe.
    response = client.post(
        "/directory/stations/import",
        data={"file": (io.BytesIO(text.encode()), "stations.csv"), "csrf_token": csrf_token(client, "/directory/")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db_session.scalar(select(Station).where(Station.name == "'" + LINK)) is None
    assert db_session.scalar(select(Station).where(Station.name == LINK)) is not None
