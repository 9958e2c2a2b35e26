"""The directory: importing the official division tree and finding areas."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory.models import Area
from hotline.vocabulary import AreaLevel

DATA_DIR = Path(__file__).resolve().parent / "data"


class UnknownDivision(LookupError):
    """The division code is not in the official data."""


def read_rows(filename: str) -> list[dict[str, str]]:
    """Read one of the division CSV files."""
    with (DATA_DIR / filename).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def upsert_area(session: Session, code: str, name: str, level: AreaLevel, parent: Area | None) -> Area:
    """Create the area with this code, or update its name and parent."""
    area = session.scalar(select(Area).where(Area.code == code))
    if area is None:
        area = Area(code=code, name=name, level=level.value, parent=parent)
        session.add(area)
    else:
        area.name, area.level, area.parent = name, level.value, parent
    return area


def import_divisions(session: Session, district_code: str) -> Area:
    """Import a district and its streets and townships from the official data; return the district.

    Raises:
        UnknownDivision: the code is not a district in the data.
    """
    district_row = next((row for row in read_rows("areas.csv") if row["code"] == district_code), None)
    if district_row is None:
        raise UnknownDivision(district_code)
    district = upsert_area(session, district_code, district_row["name"], AreaLevel.DISTRICT, None)
    for row in read_rows("streets.csv"):
        if row["areaCode"] == district_code:
            upsert_area(session, row["code"], row["name"], AreaLevel.STREET, district)
    session.commit()
    return district


def district_name(district_code: str) -> str:
    """Return the full name (province, city, district) of a district code."""
    district = next(row for row in read_rows("areas.csv") if row["code"] == district_code)
    province = next(row for row in read_rows("provinces.csv") if row["code"] == district["provinceCode"])
    return f"{province['name']}{district['name']}"
