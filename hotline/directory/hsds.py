"""Open Referral HSDS CSV for the directory's organisations, in and out.

HSDS export writes organizations.csv, services.csv and locations.csv (HSDS 3.0
field names) in a zip; HSDS import reads all three (a location names the area an
organisation serves, matched to the directory's areas by name).
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory.cells import RowError
from hotline.directory.exceptions import ImportFailed
from hotline.directory.models import Area, Organisation
from hotline.spreadsheets import restored_row, write_csv

HSDS_NAMESPACE = uuid.UUID("6f1e9a52-8d0c-4c55-9f55-1b1d1b6c3a11")


def hsds_id(kind: str, name: str) -> str:
    """Return a stable UUID for an entry (HSDS ids are UUIDs)."""
    return str(uuid.uuid5(HSDS_NAMESPACE, f"{kind}:{name}"))


def table(header: list[str], rows: list[list[Any]]) -> str:
    """Return CSV text."""
    return write_csv(header, rows)


def read_table(bundle: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    """Return the rows of one CSV of the zip, with exported cells restored."""
    return [restored_row(row) for row in csv.DictReader(io.StringIO(bundle.read(name).decode("utf-8-sig")))]


def export_hsds(session: Session) -> bytes:
    """Return a zip of HSDS organizations.csv, services.csv and locations.csv."""
    organisations = list(session.scalars(select(Organisation).order_by(Organisation.name)))
    orgs, services, locations = [], [], []
    for org in organisations:
        org_id = hsds_id("organization", org.name)
        orgs.append([org_id, org.name, org.description, org.email, org.website])
        for service in org.services or []:
            services.append(
                [
                    hsds_id("service", f"{org.name}/{service}"),
                    org_id,
                    service,
                    org.description,
                    "active" if org.active else "inactive",
                    org.email,
                ]
            )
        if org.area is not None:
            locations.append(
                [
                    hsds_id("location", org.name),
                    org_id,
                    org.area.name,
                    "physical",
                    org.area.latitude,
                    org.area.longitude,
                ]
            )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("organizations.csv", table(["id", "name", "description", "email", "website"], orgs))
        bundle.writestr(
            "services.csv", table(["id", "organization_id", "name", "description", "status", "email"], services)
        )
        bundle.writestr(
            "locations.csv",
            table(["id", "organization_id", "name", "location_type", "latitude", "longitude"], locations),
        )
    return archive.getvalue()


def import_hsds(session: Session, data: bytes) -> tuple[int, int]:
    """Create or update organisations (by name) and their services from an HSDS zip; return (created, updated).

    Raises:
        ImportFailed: not a zip with organizations.csv, or a row without a name.
    """
    try:
        bundle = zipfile.ZipFile(io.BytesIO(data))
        orgs = read_table(bundle, "organizations.csv")
        names = set(bundle.namelist())
        services, locations = (
            read_table(bundle, name) if name in names else [] for name in ("services.csv", "locations.csv")
        )
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise ImportFailed([(0, _("expected a zip with organizations.csv (and services.csv)"))]) from exc
    errors = [
        (line, str(RowError(_("required"), "name")))
        for line, row in enumerate(orgs, start=2)
        if not (row.get("name") or "").strip()
    ]
    if errors:
        raise ImportFailed(errors)
    offered: dict[str, list[str]] = {}
    for row in services:
        if (row.get("status") or "active") == "active" and row.get("name"):
            offered.setdefault(row.get("organization_id", ""), []).append(row["name"].strip())
    areas = located_areas(session, locations)
    created = updated = 0
    for row in orgs:
        name = row["name"].strip()
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        created, updated = created + (org is None), updated + (org is not None)
        org = org or Organisation(name=name)
        org.description = row.get("description") or org.description
        org.email = row.get("email") or org.email
        org.website = row.get("website") or org.website
        if row.get("id") in offered:
            org.services = sorted(set(offered[row["id"]]))
        if row.get("id") in areas:
            org.area = areas[row["id"]]
        session.add(org)
    session.commit()
    return created, updated


def located_areas(session: Session, locations: list[dict[str, str]]) -> dict[str, Area]:
    """Map organisation ids to the area their location names, when exactly one area has that name."""
    found: dict[str, Area] = {}
    for row in locations:
        name, org_id = (row.get("name") or "").strip(), row.get("organization_id") or ""
        if name and org_id:
            matches = session.scalars(select(Area).where(Area.name == name).limit(2)).all()
            if len(matches) == 1:
                found.setdefault(org_id, matches[0])
    return found
