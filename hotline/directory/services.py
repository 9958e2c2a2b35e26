"""The directory: importing the official division tree and finding areas."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import audit
from hotline.accounts.models import User
from hotline.clock import local
from hotline.directory.exceptions import DuplicateEntry, NoPhone, NoRobot
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station, Volunteer, station_areas
from hotline.robots import services as robots
from hotline.robots.clients import Message, Robot, RobotError, kind_of_url
from hotline.sms import services as sms
from hotline.sms.models import SmsMessage
from hotline.vocabulary import AreaLevel, StationTier, VolunteerSkill

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


# --- Finding a target: room → station → district centre, or by distance -------------------------

EARTH_RADIUS_KM = 6371.0
TIER_ORDER = {StationTier.ROOM.value: 0, StationTier.STATION.value: 1, StationTier.DISTRICT_CENTRE.value: 2}


@dataclass(frozen=True)
class Target:
    """Someone a referral can go to: a station, an expert volunteer or an organisation."""

    kind: str
    id: int
    name: str
    phone: str | None
    tier: str | None = None
    distance_km: float | None = None
    why: str = ""


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance between two points (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def station_phone(station: Station) -> str | None:
    """Return the number to reach a station's duty contact (else the station's own)."""
    return station.duty_contact_phone or station.phone


def covering_stations(session: Session, area_id: int | None) -> list[Station]:
    """Return active stations covering the area, walking up: community, street/township, district."""
    area = session.get(Area, area_id) if area_id is not None else None
    if area is None:
        return []
    found: list[Station] = []
    for node in area.lineage():
        stations = session.scalars(
            select(Station)
            .join(station_areas, station_areas.c.station_id == Station.id)
            .where(station_areas.c.area_id == node.id, Station.active.is_(True))
        ).all()
        for station in sorted(stations, key=lambda s: (TIER_ORDER.get(s.tier, 9), s.id)):
            if station not in found:
                found.append(station)
    return found


def area_coordinates(session: Session, area_id: int | None) -> tuple[float, float] | None:
    """Return the coordinates of the area or of its nearest ancestor that has them."""
    area = session.get(Area, area_id) if area_id else None
    for node in area.lineage() if area else []:
        if node.latitude is not None and node.longitude is not None:
            return node.latitude, node.longitude
    return None


def city_coordinates(session: Session, city: str) -> tuple[float, float] | None:
    """Return the coordinates of the area named like `city` (Twilio's FromCity), if any."""
    name = city.strip()
    if not name:
        return None
    area = session.scalar(
        select(Area)
        .where(Area.name.contains(name), Area.latitude.is_not(None), Area.longitude.is_not(None))
        .order_by(Area.level, Area.code)
        .limit(1)
    )
    return (area.latitude, area.longitude) if area else None


def stations_by_distance(
    session: Session, latitude: float, longitude: float, tiers: tuple[str, ...] | None = None
) -> list[tuple[Station, float]]:
    """Return active stations with coordinates, nearest first."""
    query = select(Station).where(Station.active.is_(True), Station.latitude.is_not(None))
    if tiers:
        query = query.where(Station.tier.in_(tiers))
    ranked = [
        (station, distance_km(latitude, longitude, station.latitude, station.longitude))
        for station in session.scalars(query)
        if station.longitude is not None
    ]
    return sorted(ranked, key=lambda pair: (pair[1], pair[0].id))


def district_centres(session: Session) -> list[Station]:
    """Return the active district centres."""
    return list(
        session.scalars(
            select(Station).where(Station.tier == StationTier.DISTRICT_CENTRE.value, Station.active.is_(True))
        )
    )


def station_targets(
    session: Session, area_id: int | None, latitude: float | None, longitude: float | None
) -> list[Target]:
    """Return stations in the order a referral should try them."""
    targets: list[Target] = []
    seen: set[int] = set()

    def add(station: Station, why: str, km: float | None = None) -> None:
        if station.id not in seen:
            seen.add(station.id)
            targets.append(Target("station", station.id, station.name, station_phone(station), station.tier, km, why))

    local = [s for s in covering_stations(session, area_id) if s.tier != "district_centre"] if area_id else []
    for station in local:
        add(station, "covers the area")
    point = (latitude, longitude) if latitude is not None and longitude is not None else None
    point = point or area_coordinates(session, area_id)
    if point is not None:
        tiers = (StationTier.STATION.value,) if local else (StationTier.ROOM.value, StationTier.STATION.value)
        for station, km in stations_by_distance(session, point[0], point[1], tiers)[:3]:
            add(station, "nearest", round(km, 1))
    covering_centres = [s for s in covering_stations(session, area_id) if s.tier == "district_centre"]
    for station in covering_centres or district_centres(session):
        add(station, "district centre")
    return targets


def experts_with_skill(session: Session, skill: str) -> list[ExpertVolunteer]:
    """Return the active expert volunteers with a skill."""
    query = select(ExpertVolunteer).where(ExpertVolunteer.active.is_(True)).order_by(ExpertVolunteer.id)
    experts = session.scalars(query)
    return [expert for expert in experts if skill in (expert.skills or [])]


def find_targets(
    session: Session,
    area_id: int | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    skill: str | None = None,
    city: str | None = None,
) -> list[Target]:
    """Return whom to refer to: covering stations (community → street → district centre), else the
    nearest by distance from coordinates or a known city, then experts with the skill."""
    if area_id is None and latitude is None and city:
        coordinates = city_coordinates(session, city)
        if coordinates:
            latitude, longitude = coordinates
    targets = station_targets(session, area_id, latitude, longitude)
    if skill:
        for expert in experts_with_skill(session, skill):
            targets.append(Target("expert", expert.id, expert.name, expert.phone, None, None, "skill"))
    return targets


# --- Listing and saving entries (manager pages) ---------------------------------------------------

DirectoryModel = Area | Station | ExpertVolunteer | Organisation | Volunteer
ORDER = {
    Area: Area.code,
    Station: Station.name,
    ExpertVolunteer: ExpertVolunteer.name,
    Organisation: Organisation.name,
    Volunteer: Volunteer.name,
}


def list_entries(session: Session, model: type[DirectoryModel], kind: str | None = None) -> list[Any]:
    """Return every entry of a directory table in its natural order (organisations: of one type if given)."""
    query = select(model).order_by(ORDER[model], model.id)
    if model is Organisation and kind:
        query = query.where(Organisation.kind == kind)
    return list(session.scalars(query))


def available_volunteers(
    session: Session, area_id: int | None, at: datetime, skill: str | None = None
) -> list[Volunteer]:
    """Return active volunteers serving the area (or an area above it) who are available at `at`.

    Those serving the nearest area come first; a skill that is a volunteer skill narrows the list.
    """
    area = session.get(Area, area_id) if area_id else None
    lineage = [a.id for a in area.lineage()] if area is not None else []
    if not lineage:
        return []
    moment = local(at)
    found: list[tuple[int, int, Volunteer]] = []
    for volunteer in session.scalars(select(Volunteer).where(Volunteer.active.is_(True)).order_by(Volunteer.id)):
        served = [lineage.index(a.id) for a in volunteer.areas if a.id in lineage]
        if not served:
            continue
        if skill in VOLUNTEER_SKILLS and skill not in (volunteer.skills or []):
            continue
        if volunteer.available_weekdays and moment.isoweekday() not in volunteer.available_weekdays:
            continue
        if volunteer.available_from and moment.time() < volunteer.available_from:
            continue
        if volunteer.available_until and moment.time() >= volunteer.available_until:
            continue
        found.append((min(served), volunteer.id, volunteer))
    return [volunteer for *_, volunteer in sorted(found, key=lambda item: item[:2])]


VOLUNTEER_SKILLS = {skill.value for skill in VolunteerSkill}


def get_entry(session: Session, model: type[DirectoryModel], entry_id: int) -> Any:
    """Return one entry, or None."""
    return session.get(model, entry_id)


def save_entry(session: Session, entry: Any, fields: dict[str, Any], actor_id: int | None = None) -> Any:
    """Create or change a directory entry, audited as directory.create or directory.edit with the fields changed.

    Raises:
        DuplicateEntry: another entry has the same code (areas) or name (organisations).
    """
    creating = entry.id is None
    changed = sorted(
        name for name, value in fields.items() if creating or _plain(getattr(entry, name)) != _plain(value)
    )
    for name, value in fields.items():
        setattr(entry, name, value)
    session.add(entry)
    try:
        session.flush()
        if creating or changed:
            audit.record(
                session,
                "directory.create" if creating else "directory.edit",
                actor_id=actor_id,
                target=f"{entry.__tablename__}:{entry.id}",
                detail={"fields": changed},
            )
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise DuplicateEntry("code" if isinstance(entry, Area) else "name") from exc
    return entry


def _plain(value: Any) -> Any:
    """Return a comparable form of a field's value (entries in a list by id)."""
    if isinstance(value, list | tuple):
        return [getattr(item, "id", item) for item in value]
    return value


def record_exchange(session: Session, action: str, actor_id: int | None, what: str, detail: dict[str, Any]) -> None:
    """Audit a directory export or import (directory.export, directory.import): it holds staff phone numbers."""
    audit.record(session, action, actor_id=actor_id, target=f"directory:{what}", detail=detail)
    session.commit()


def areas_by_ids(session: Session, ids: list[int]) -> list[Area]:
    """Return the areas with these ids."""
    return list(session.scalars(select(Area).where(Area.id.in_(ids or [0])).order_by(Area.code)))


@dataclass(frozen=True)
class TestResult:
    """What became of a test message: delivered or not, and the robot's answer."""

    delivered: bool
    channel: str
    detail: str


def send_test_message(session: Session, entry: Any, text: str, now: datetime, actor_id: int | None) -> TestResult:
    """Post a test message to an entry's group chat robot and say what the robot answered; audited.

    Raises:
        NoRobot: the entry has no robot address.
    """
    if not entry.webhook_url:
        raise NoRobot(entry.__tablename__)
    kind = entry.robot_kind or kind_of_url(entry.webhook_url) or "webhook"
    robot = Robot(kind, entry.webhook_url, entry.robot_secret or None)
    try:
        post_id = robots.post(session, robot, Message(text), now)
    except RobotError as error:
        result = TestResult(False, kind, str(error))
    else:
        result = TestResult(True, kind, post_id)
    audit.record(
        session,
        "directory.test_message",
        actor_id=actor_id,
        target=f"{entry.__tablename__}:{entry.id}",
        detail={"channel": kind, "delivered": result.delivered, "detail": result.detail},
    )
    session.commit()
    return result


def test_sms_origin(entry: Any) -> str:
    """Return the origin prefix of an entry's test SMS ("test:stations:4:")."""
    return f"{sms.DIRECTORY_TEST}{entry.__tablename__}:{entry.id}:"


def send_test_sms(
    session: Session, phone_line: Any, entry: Any, text: str, now: datetime, actor_id: int | None
) -> TestResult:
    """Text the entry's number: the `test` template through the template provider, else `text` through the
    phone line; audited.

    Its delivery state comes back with the provider's receipt or the line's status (`last_test_sms`).

    Raises:
        NoPhone: the entry has no number to text.
    """
    phone = station_phone(entry) if isinstance(entry, Station) else entry.phone
    if not phone:
        raise NoPhone(entry.__tablename__)
    try:
        sent = sms.text_staff(
            session, phone_line, "test", phone, {}, text, origin=f"{test_sms_origin(entry)}{now:%Y%m%dT%H%M%S}", now=now
        )
    except Exception as error:  # noqa: BLE001  (any refusal is what the manager wants to see)
        session.rollback()
        result = TestResult(False, "sms", str(error) or type(error).__name__)
    else:
        result = TestResult(True, "sms", sent)
    audit.record(
        session,
        "directory.test_message",
        actor_id=actor_id,
        target=f"{entry.__tablename__}:{entry.id}",
        detail={"channel": "sms", "delivered": result.delivered, "detail": result.detail},
    )
    session.commit()
    return result


def last_test_sms(session: Session, entry: Any) -> SmsMessage | None:
    """Return the entry's latest template test SMS, with its state as the provider reported it."""
    return session.scalar(
        select(SmsMessage)
        .where(SmsMessage.origin.like(f"{test_sms_origin(entry)}%"))
        .order_by(SmsMessage.id.desc())
        .limit(1)
    )


def list_staff(session: Session) -> list[User]:
    """Return the active staff accounts, by role and name."""
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.role, User.display_name)))


def get_staff(session: Session, user_id: int) -> User | None:
    """Return one staff account, or None."""
    return session.get(User, user_id)


def save_staff_channels(
    session: Session, user: User, channels: list[str], actor_id: int | None, feishu_user_id: str | None = None
) -> User:
    """Set a staff member's channels in order of preference and Feishu user ID (audited as directory.staff_channels)."""
    user.feishu_user_id = (feishu_user_id or "").strip() or None
    if channels != list(user.notify_channels or []):
        audit.record(
            session,
            "directory.staff_channels",
            actor_id=actor_id,
            target=f"user:{user.id}",
            detail={"from": list(user.notify_channels or []), "to": channels},
        )
        user.notify_channels = channels
    session.commit()
    return user
