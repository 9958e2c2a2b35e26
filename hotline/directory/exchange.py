"""CSV import and export of the directory, and Open Referral HSDS CSV for organisations.

Each kind has one flat CSV shape (lists joined with ";"). An import is all or
nothing: every row is checked first and any error is reported with its line.
HSDS export writes organizations.csv, services.csv and locations.csv (HSDS 3.0
field names) in a zip; HSDS import reads all three (a location names the area an
organisation serves, matched to the directory's areas by name).
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Callable
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory.exceptions import ImportFailed
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station
from hotline.privacy import normalise_phone
from hotline.vocabulary import AreaLevel, StationTier

HSDS_NAMESPACE = uuid.UUID("6f1e9a52-8d0c-4c55-9f55-1b1d1b6c3a11")
CHANNEL_NAMES = {"sms", "voice", "webhook"}


def joined(values: list[Any] | None) -> str:
    """Join a list for one CSV cell."""
    return ";".join(str(value) for value in values or [])


def split(cell: str | None) -> list[str]:
    """Split a CSV cell into a list."""
    return [part.strip() for part in (cell or "").replace(",", ";").split(";") if part.strip()]


def clock(value: time | None) -> str:
    """Format a time of day."""
    return value.strftime("%H:%M") if value else ""


COLUMNS: dict[str, list[str]] = {
    "areas": ["code", "name", "level", "parent_code", "latitude", "longitude"],
    "stations": [
        "name",
        "tier",
        "area_code",
        "parent",
        "phone",
        "address",
        "latitude",
        "longitude",
        "duty_contact_name",
        "duty_contact_phone",
        "areas_covered",
        "notify_channels",
        "webhook_url",
        "active",
    ],
    "experts": [
        "name",
        "profession",
        "organisation",
        "phone",
        "email",
        "skills",
        "languages",
        "duty_weekdays",
        "duty_start",
        "duty_end",
        "max_open_referrals",
        "notify_channels",
        "webhook_url",
        "active",
    ],
    "organisations": [
        "name",
        "description",
        "services",
        "area_code",
        "contact_name",
        "phone",
        "email",
        "website",
        "notify_channels",
        "webhook_url",
        "active",
    ],
}
MODELS: dict[str, Any] = {"areas": Area, "stations": Station, "experts": ExpertVolunteer, "organisations": Organisation}


def row_of(kind: str, entry: Any) -> list[Any]:
    """Return an entry as a CSV row."""
    if kind == "areas":
        return [
            entry.code,
            entry.name,
            entry.level,
            entry.parent.code if entry.parent else "",
            entry.latitude,
            entry.longitude,
        ]
    if kind == "stations":
        return [
            entry.name,
            entry.tier,
            entry.area.code if entry.area else "",
            entry.parent.name if entry.parent else "",
            entry.phone,
            entry.address,
            entry.latitude,
            entry.longitude,
            entry.duty_contact_name,
            entry.duty_contact_phone,
            joined(a.code for a in entry.areas_covered),
            joined(entry.notify_channels),
            entry.webhook_url,
            int(entry.active),
        ]
    if kind == "experts":
        return [
            entry.name,
            entry.profession,
            entry.organisation,
            entry.phone,
            entry.email,
            joined(entry.skills),
            joined(entry.languages),
            joined(entry.duty_weekdays),
            clock(entry.duty_start),
            clock(entry.duty_end),
            entry.max_open_referrals,
            joined(entry.notify_channels),
            entry.webhook_url,
            int(entry.active),
        ]
    return [
        entry.name,
        entry.description,
        joined(entry.services),
        entry.area.code if entry.area else "",
        entry.contact_name,
        entry.phone,
        entry.email,
        entry.website,
        joined(entry.notify_channels),
        entry.webhook_url,
        int(entry.active),
    ]


def export_csv(session: Session, kind: str) -> str:
    """Return a directory table as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS[kind])
    order = Area.code if kind == "areas" else MODELS[kind].name
    for entry in session.scalars(select(MODELS[kind]).order_by(order)):
        writer.writerow(["" if value is None else value for value in row_of(kind, entry)])
    return buffer.getvalue()


class RowError(ValueError):
    """One cell is wrong."""


def number(cell: str | None, cast: Callable[[str], Any] = float) -> Any:
    """Parse an optional number."""
    if not (cell or "").strip():
        return None
    try:
        return cast(cell.strip())
    except ValueError as exc:
        raise RowError(f"not a number: {cell}") from exc


def phone(cell: str | None) -> str | None:
    """Parse an optional phone number to E.164."""
    if not (cell or "").strip():
        return None
    parsed = normalise_phone(cell)
    if parsed is None:
        raise RowError(f"not a phone number: {cell}")
    return parsed


def time_of_day(cell: str | None) -> time | None:
    """Parse an optional HH:MM."""
    if not (cell or "").strip():
        return None
    try:
        return time.fromisoformat(cell.strip())
    except ValueError as exc:
        raise RowError(f"not a time (HH:MM): {cell}") from exc


def flag(cell: str | None) -> bool:
    """Parse an active flag (empty means yes)."""
    return (cell or "1").strip().lower() not in ("0", "false", "no", "n")


def channels(cell: str | None) -> list[str]:
    """Parse notification channels."""
    values = split(cell)
    unknown = set(values) - CHANNEL_NAMES
    if unknown:
        raise RowError(f"unknown channel: {', '.join(sorted(unknown))}")
    return values


def area_by_code(session: Session, code: str | None, pending: dict[str, Area]) -> Area | None:
    """Return the area with this code (also among rows of this import), or raise."""
    if not (code or "").strip():
        return None
    area = pending.get(code.strip()) or session.scalar(select(Area).where(Area.code == code.strip()))
    if area is None:
        raise RowError(f"no area with code {code}")
    return area


def apply_row(session: Session, kind: str, row: dict[str, str], pending: dict[str, Any]) -> tuple[Any, bool]:
    """Create or update one entry from a row; return (entry, created)."""
    model = MODELS[kind]
    key = row.get("code" if kind == "areas" else "name", "").strip()
    if not key:
        raise RowError("code is required" if kind == "areas" else "name is required")
    column = model.code if kind == "areas" else model.name
    entry = pending.get(key) or session.scalar(select(model).where(column == key))
    created = entry is None
    entry = entry or model()
    areas = {k: v for k, v in pending.items() if isinstance(v, Area)}
    if kind == "areas":
        if row.get("level") not in {level.value for level in AreaLevel}:
            raise RowError(f"unknown level: {row.get('level')}")
        entry.code, entry.name, entry.level = key, row.get("name") or key, row["level"]
        entry.parent = area_by_code(session, row.get("parent_code"), areas)
        entry.latitude, entry.longitude = number(row.get("latitude")), number(row.get("longitude"))
    elif kind == "stations":
        if row.get("tier") not in {tier.value for tier in StationTier}:
            raise RowError(f"unknown tier: {row.get('tier')}")
        entry.name, entry.tier = key, row["tier"]
        entry.area = area_by_code(session, row.get("area_code"), areas)
        parent_name = (row.get("parent") or "").strip()
        entry.parent = session.scalar(select(Station).where(Station.name == parent_name)) if parent_name else None
        entry.phone, entry.address = phone(row.get("phone")), row.get("address") or None
        entry.latitude, entry.longitude = number(row.get("latitude")), number(row.get("longitude"))
        entry.duty_contact_name = row.get("duty_contact_name") or None
        entry.duty_contact_phone = phone(row.get("duty_contact_phone"))
        entry.areas_covered = [area_by_code(session, code, areas) for code in split(row.get("areas_covered"))]
    elif kind == "experts":
        entry.name, entry.profession = key, row.get("profession") or ""
        entry.organisation, entry.email = row.get("organisation") or None, row.get("email") or None
        entry.phone = phone(row.get("phone"))
        entry.skills, entry.languages = split(row.get("skills")), split(row.get("languages"))
        entry.duty_weekdays = [number(day, int) for day in split(row.get("duty_weekdays"))]
        if any(day not in range(1, 8) for day in entry.duty_weekdays):
            raise RowError("duty weekdays are 1 (Monday) to 7 (Sunday)")
        entry.duty_start, entry.duty_end = time_of_day(row.get("duty_start")), time_of_day(row.get("duty_end"))
        entry.max_open_referrals = number(row.get("max_open_referrals"), int) or 3
    else:
        entry.name, entry.description = key, row.get("description") or None
        entry.services = split(row.get("services"))
        entry.area = area_by_code(session, row.get("area_code"), areas)
        entry.contact_name, entry.email = row.get("contact_name") or None, row.get("email") or None
        entry.phone, entry.website = phone(row.get("phone")), row.get("website") or None
    if kind != "areas":
        entry.notify_channels = channels(row.get("notify_channels"))
        entry.webhook_url = row.get("webhook_url") or None
        entry.active = flag(row.get("active"))
    pending[key] = entry
    session.add(entry)
    return entry, created


def import_csv(session: Session, kind: str, text: str) -> tuple[int, int]:
    """Create or update entries from CSV text; return (created, updated).

    Raises:
        ImportFailed: a header or a row is wrong; nothing is imported.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    key = "code" if kind == "areas" else "name"
    if reader.fieldnames is None or key not in reader.fieldnames:
        raise ImportFailed([(1, f"the first line must name the columns, including {key}")])
    errors: list[tuple[int, str]] = []
    created = updated = 0
    pending: dict[str, Any] = {}
    with session.no_autoflush:
        for line, row in enumerate(reader, start=2):
            try:
                _entry, new = apply_row(session, kind, row, pending)
            except RowError as error:
                errors.append((line, str(error)))
                continue
            created, updated = created + new, updated + (not new)
    if errors:
        session.rollback()
        raise ImportFailed(errors)
    session.commit()
    return created, updated


# --- Open Referral HSDS ---------------------------------------------------------------------------


def hsds_id(kind: str, name: str) -> str:
    """Return a stable UUID for an entry (HSDS ids are UUIDs)."""
    return str(uuid.uuid5(HSDS_NAMESPACE, f"{kind}:{name}"))


def table(header: list[str], rows: list[list[Any]]) -> str:
    """Return CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return buffer.getvalue()


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
        orgs = list(csv.DictReader(io.StringIO(bundle.read("organizations.csv").decode("utf-8-sig"))))
        names = set(bundle.namelist())
        services, locations = (
            list(csv.DictReader(io.StringIO(bundle.read(name).decode("utf-8-sig")))) if name in names else []
            for name in ("services.csv", "locations.csv")
        )
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise ImportFailed([(0, "expected a zip with organizations.csv (and services.csv)")]) from exc
    errors = [
        (line, "name is required") for line, row in enumerate(orgs, start=2) if not (row.get("name") or "").strip()
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
