"""CSV import and export of the directory: areas, stations, experts, organisations, volunteers.

Each kind has one flat CSV shape (lists joined with ";"). An import is all or
nothing: every row is checked first and any error is reported with its line and, where
one cell is wrong, its column, in the UI's language.
Organisations also move as Open Referral HSDS (hsds.py).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory.cells import (
    RowError,
    channels,
    clock,
    flag,
    joined,
    number,
    phone,
    read,
    robot_kind,
    split,
    time_of_day,
)
from hotline.directory.exceptions import ImportFailed
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station, Volunteer
from hotline.spreadsheets import restored_row, write_csv
from hotline.vocabulary import AreaLevel, OrganisationKind, StationTier, VolunteerSkill

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
        "robot_kind",
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
        "robot_kind",
        "active",
    ],
    "organisations": [
        "name",
        "kind",
        "description",
        "services",
        "area_code",
        "contact_name",
        "phone",
        "email",
        "website",
        "notify_channels",
        "webhook_url",
        "robot_kind",
        "active",
    ],
    "volunteers": [
        "name",
        "phone",
        "skills",
        "areas",
        "available_weekdays",
        "available_from",
        "available_until",
        "notify_channels",
        "webhook_url",
        "robot_kind",
        "active",
    ],
}
MODELS: dict[str, Any] = {
    "areas": Area,
    "stations": Station,
    "experts": ExpertVolunteer,
    "organisations": Organisation,
    "volunteers": Volunteer,
}
ORGANISATION_KINDS = {kind.value for kind in OrganisationKind}
VOLUNTEER_SKILLS = {skill.value for skill in VolunteerSkill}


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
            entry.robot_kind,
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
            entry.robot_kind,
            int(entry.active),
        ]
    if kind == "volunteers":
        return [
            entry.name,
            entry.phone,
            joined(entry.skills),
            joined(a.code for a in entry.areas),
            joined(entry.available_weekdays),
            clock(entry.available_from),
            clock(entry.available_until),
            joined(entry.notify_channels),
            entry.webhook_url,
            entry.robot_kind,
            int(entry.active),
        ]
    return [
        entry.name,
        entry.kind,
        entry.description,
        joined(entry.services),
        entry.area.code if entry.area else "",
        entry.contact_name,
        entry.phone,
        entry.email,
        entry.website,
        joined(entry.notify_channels),
        entry.webhook_url,
        entry.robot_kind,
        int(entry.active),
    ]


def export_csv(session: Session, kind: str) -> str:
    """Return a directory table as CSV text."""
    order = Area.code if kind == "areas" else MODELS[kind].name
    entries = session.scalars(select(MODELS[kind]).order_by(order, MODELS[kind].id))
    return write_csv(COLUMNS[kind], (row_of(kind, entry) for entry in entries))


def area_by_code(session: Session, code: str | None, pending: dict[str, Area]) -> Area | None:
    """Return the area with this code (also among rows of this import), or raise."""
    if not (code or "").strip():
        return None
    area = pending.get(code.strip()) or session.scalar(select(Area).where(Area.code == code.strip()))
    if area is None:
        raise RowError(_("no area with code %(code)s", code=code))
    return area


def apply_row(session: Session, kind: str, row: dict[str, str], pending: dict[str, Any]) -> tuple[Any, bool]:
    """Create or update one entry from a row; return (entry, created)."""
    model = MODELS[kind]
    key = row.get("code" if kind == "areas" else "name", "").strip()
    if not key:
        raise RowError(_("required"), "code" if kind == "areas" else "name")
    column = model.code if kind == "areas" else model.name
    entry = pending.get(key) or session.scalar(select(model).where(column == key))
    created = entry is None
    entry = entry or model()
    areas = {k: v for k, v in pending.items() if isinstance(v, Area)}
    if kind == "areas":
        if row.get("level") not in {level.value for level in AreaLevel}:
            known = ", ".join(level.value for level in AreaLevel)
            raise RowError(
                _("unknown level %(value)s (one of %(known)s)", value=row.get("level"), known=known), "level"
            )
        entry.code, entry.name, entry.level = key, row.get("name") or key, row["level"]
        entry.parent = area_by_code(session, row.get("parent_code"), areas)
        entry.latitude, entry.longitude = number(row.get("latitude")), number(row.get("longitude"))
    elif kind == "stations":
        if row.get("tier") not in {tier.value for tier in StationTier}:
            known = ", ".join(tier.value for tier in StationTier)
            raise RowError(_("unknown tier %(value)s (one of %(known)s)", value=row.get("tier"), known=known), "tier")
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
            raise RowError(_("days are 1 (Monday) to 7 (Sunday)"), "duty_weekdays")
        entry.duty_start, entry.duty_end = time_of_day(row.get("duty_start")), time_of_day(row.get("duty_end"))
        entry.max_open_referrals = number(row.get("max_open_referrals"), int) or 3
    elif kind == "volunteers":
        apply_volunteer(session, entry, key, row, areas)
    else:
        entry.name, entry.description = key, row.get("description") or None
        entry.kind = (row.get("kind") or "").strip() or "social_organisation"
        if entry.kind not in ORGANISATION_KINDS:
            raise RowError(
                _(
                    "unknown type %(value)s (one of %(known)s)",
                    value=entry.kind,
                    known=", ".join(sorted(ORGANISATION_KINDS)),
                ),
                "kind",
            )
        entry.services = split(row.get("services"))
        entry.area = area_by_code(session, row.get("area_code"), areas)
        entry.contact_name, entry.email = row.get("contact_name") or None, row.get("email") or None
        entry.phone, entry.website = phone(row.get("phone")), row.get("website") or None
    if kind != "areas":
        entry.notify_channels = read(row, "notify_channels", channels)
        entry.webhook_url = row.get("webhook_url") or None
        kind = read(row, "robot_kind", lambda cell: robot_kind(cell, entry.webhook_url))
        if kind != entry.robot_kind:
            entry.robot_kind, entry.robot_secret = kind, None  # a secret is never in a file: set it on the page
        entry.active = flag(row.get("active"))
    pending[key] = entry
    session.add(entry)
    return entry, created


def apply_volunteer(session: Session, entry: Volunteer, key: str, row: dict[str, str], areas: dict[str, Area]) -> None:
    """Fill a volunteer from a row; a wrong cell raises RowError naming its column."""
    entry.name = key
    entry.phone = read(row, "phone", phone)
    entry.skills = split(row.get("skills"))
    unknown = sorted(set(entry.skills) - VOLUNTEER_SKILLS)
    if unknown:
        raise RowError(
            _(
                "unknown skill %(value)s (one of %(known)s)",
                value=", ".join(unknown),
                known=", ".join(sorted(VOLUNTEER_SKILLS)),
            ),
            "skills",
        )
    entry.areas = read(row, "areas", lambda cell: [area_by_code(session, code, areas) for code in split(cell)])
    entry.available_weekdays = read(row, "available_weekdays", lambda cell: [number(day, int) for day in split(cell)])
    if any(day not in range(1, 8) for day in entry.available_weekdays):
        raise RowError(_("days are 1 (Monday) to 7 (Sunday)"), "available_weekdays")
    entry.available_from = read(row, "available_from", time_of_day)
    entry.available_until = read(row, "available_until", time_of_day)
    if entry.available_from and entry.available_until and entry.available_until <= entry.available_from:
        raise RowError(_("must be later than available_from"), "available_until")


def import_csv(session: Session, kind: str, text: str) -> tuple[int, int]:
    """Create or update entries from CSV text; return (created, updated).

    Raises:
        ImportFailed: a header or a row is wrong; nothing is imported.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    key = "code" if kind == "areas" else "name"
    if reader.fieldnames is None or key not in reader.fieldnames:
        raise ImportFailed([(1, _("the first line must name the columns, including %(key)s", key=key))])
    errors: list[tuple[int, str]] = []
    created = updated = 0
    pending: dict[str, Any] = {}
    with session.no_autoflush:
        for line, row in enumerate(reader, start=2):
            try:
                _entry, new = apply_row(session, kind, restored_row(row), pending)
            except RowError as error:
                errors.append((line, str(error)))
                continue
            created, updated = created + new, updated + (not new)
    if errors:
        session.rollback()
        raise ImportFailed(errors)
    session.commit()
    return created, updated
