"""Whom a policy step notifies: stations, experts, organisations and staff, resolved at run time.

Who is on duty comes from the rota (`hotline.rota.services.on_duty`): published
shifts, and for staff a certificate valid that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.clock import local
from hotline.directory.models import ExpertVolunteer, Organisation, Station, Volunteer
from hotline.directory.services import (
    available_volunteers,
    district_centres,
    experts_with_skill,
    find_targets,
    station_phone,
    stations_by_distance,
)
from hotline.escalation.models import OWNED_REFERRAL, Escalation, Referral, ReferralStatus, TargetKind
from hotline.robots.clients import Robot, RobotKind, kind_of_url
from hotline.rota import services as rota
from hotline.rota.models import Shift
from hotline.vocabulary import Role, StationTier


@dataclass(frozen=True)
class Recipient:
    """A resolved target with how to reach it: its phone, its group chat robot, its channels in order."""

    kind: str
    id: int
    name: str
    phone: str | None
    robot: Robot | None = None
    channels: tuple[str, ...] = ()
    mention: tuple[str, ...] = ()
    """Mobiles to @-mention in the robot's post (a staff member in the team's group chat)."""
    feishu_user_id: str | None = None
    """Whom a Feishu bot @-mentions instead (Feishu mentions by user id, not by mobile)."""

    def mentions_for(self, robot_kind: str) -> tuple[str, ...]:
        """Return whom a robot of this kind @-mentions: Feishu a user id, the others mobiles."""
        if robot_kind == RobotKind.FEISHU:
            return (self.feishu_user_id,) if self.feishu_user_id else ()
        return self.mention


def next_shift_start(session: Session, after: datetime) -> datetime | None:
    """Return when the next published shift starts."""
    return session.scalar(select(func.min(Shift.starts_at)).where(Shift.status == "published", Shift.starts_at > after))


def robot_of(entry: Any) -> Robot | None:
    """Return a directory entry's group chat robot (its kind as set, else as its URL's host names it)."""
    if not entry.webhook_url:
        return None
    kind = entry.robot_kind or kind_of_url(entry.webhook_url) or RobotKind.WEBHOOK.value
    return Robot(kind, entry.webhook_url, entry.robot_secret or None)


def team_robot(value: dict[str, Any] | None) -> Robot | None:
    """Return the team's group chat robot from the `escalation.team_webhook` setting."""
    url = (value or {}).get("url")
    if not url:
        return None
    kind = (value or {}).get("kind") or kind_of_url(url) or RobotKind.WEBHOOK.value
    return Robot(kind, url, (value or {}).get("secret") or None)


def of_station(station: Station) -> Recipient:
    """Return a station as a recipient."""
    return Recipient(
        "station",
        station.id,
        station.name,
        station_phone(station),
        robot_of(station),
        tuple(station.notify_channels or ()),
    )


def of_expert(expert: ExpertVolunteer) -> Recipient:
    """Return an expert volunteer as a recipient."""
    return Recipient(
        "expert", expert.id, expert.name, expert.phone, robot_of(expert), tuple(expert.notify_channels or ())
    )


def of_organisation(organisation: Organisation) -> Recipient:
    """Return an organisation as a recipient."""
    return Recipient(
        "organisation",
        organisation.id,
        organisation.name,
        organisation.phone,
        robot_of(organisation),
        tuple(organisation.notify_channels or ()),
    )


def of_volunteer(volunteer: Volunteer) -> Recipient:
    """Return an ordinary volunteer as a recipient."""
    return Recipient(
        "volunteer",
        volunteer.id,
        volunteer.name,
        volunteer.phone,
        robot_of(volunteer),
        tuple(volunteer.notify_channels or ()),
    )


def of_user(user: User, team: Robot | None = None) -> Recipient:
    """Return a staff member as a recipient: the team's group chat robot is theirs, with them @-mentioned."""
    mention = (user.phone,) if user.phone and team is not None else ()
    channels = tuple(user.notify_channels or ())
    feishu = user.feishu_user_id if team is not None else None
    return Recipient("user", user.id, user.display_name, user.phone, team, channels, mention, feishu)


def recipient_of(session: Session, referral: Referral, team: Robot | None = None) -> Recipient | None:
    """Return the recipient a referral was made to, as it is now in the directory."""
    model: Any = {
        "station": Station,
        "expert": ExpertVolunteer,
        "organisation": Organisation,
        "volunteer": Volunteer,
        "user": User,
    }.get(referral.target_kind)
    row = session.get(model, referral.target_id) if model else None
    if row is None:
        return None
    builders: dict[str, Any] = {
        "station": of_station,
        "expert": of_expert,
        "organisation": of_organisation,
        "volunteer": of_volunteer,
    }
    return builders[referral.target_kind](row) if referral.target_kind in builders else of_user(row, team)


def open_work(session: Session, expert_id: int) -> int:
    """Return how many referrals an expert has accepted and not finished."""
    return (
        session.scalar(
            select(func.count(Referral.id)).where(Referral.expert_id == expert_id, Referral.status.in_(OWNED_REFERRAL))
        )
        or 0
    )


def expert_on_duty_by_days(expert: ExpertVolunteer, at: datetime) -> bool:
    """Return whether the expert's own duty days and hours cover `at` (in the hotline's zone)."""
    moment = local(at)
    if moment.isoweekday() not in (expert.duty_weekdays or []):
        return False
    if expert.duty_start and expert.duty_end:
        return expert.duty_start <= moment.time() < expert.duty_end
    return True


def experts_for(session: Session, skill: str | None, at: datetime, on_duty_only: bool) -> list[ExpertVolunteer]:
    """Return experts with the skill who have room for another referral, on duty first."""
    if not skill:
        return []
    rostered = {expert.expert_id for expert in rota.on_duty(session, at, role="expert").experts}
    chosen = []
    for expert in experts_with_skill(session, skill):
        duty = expert.id in rostered or expert_on_duty_by_days(expert, at)
        if on_duty_only and not duty:
            continue
        if open_work(session, expert.id) >= expert.max_open_referrals:
            continue
        chosen.append((not duty, expert.id, expert))
    return [expert for *_, expert in sorted(chosen, key=lambda item: item[:2])]


def staff(session: Session, at: datetime, duty: str, role: Role) -> list[User]:
    """Return staff on duty in `duty` now, else every active user with `role`."""
    on_shift = [worker.user_id for worker in rota.on_duty(session, at, role=duty).workers]
    users = [user for user_id in on_shift if (user := session.get(User, user_id)) is not None and user.active]
    if users or duty == "duty_worker":
        return users
    return list(session.scalars(select(User).where(User.role == role.value, User.active.is_(True)).order_by(User.id)))


def tried_station_ids(escalation: Escalation) -> set[int]:
    """Return the stations this chain has already asked."""
    return {r.station_id for r in escalation.referrals if r.station_id is not None}


def resolve(
    session: Session, escalation: Escalation, step: dict[str, Any], at: datetime, team: Robot | None
) -> list[Recipient]:
    """Return the recipients of one step, without those who already declined this chain."""
    skill = step.get("skill") or escalation.skill
    declined = {(r.target_kind, r.target_id) for r in escalation.referrals if r.status == ReferralStatus.DECLINED.value}
    found: list[Recipient] = []
    stations = [t for t in find_targets(session, area_id=escalation.area_id) if t.kind == "station"]
    local_stations = [t for t in stations if t.tier != StationTier.DISTRICT_CENTRE.value]
    for kind in step.get("targets", []):
        if kind == TargetKind.AREA_STATION:
            found += [of_station(session.get(Station, t.id)) for t in local_stations[:1]]
        elif kind == TargetKind.NEXT_STATION:
            tried = tried_station_ids(escalation)
            nearer = [t for t in local_stations if t.id not in tried]
            if nearer:
                found.append(of_station(session.get(Station, nearer[0].id)))
            else:
                found += next_by_distance(session, escalation, tried)
        elif kind == TargetKind.DISTRICT_CENTRE:
            centres = [t for t in stations if t.tier == StationTier.DISTRICT_CENTRE.value]
            found += [of_station(session.get(Station, t.id)) for t in centres[:1]] or [
                of_station(s) for s in district_centres(session)[:1]
            ]
        elif kind in (TargetKind.EXPERT_ON_DUTY, TargetKind.EXPERT_ANY):
            found += [of_expert(e) for e in experts_for(session, skill, at, kind == TargetKind.EXPERT_ON_DUTY)]
        elif kind == TargetKind.ORGANISATION:
            found += [of_organisation(o) for o in organisations_for(session, skill)]
        elif kind == TargetKind.VOLUNTEER:
            nearest = available_volunteers(session, escalation.area_id, at, skill)[:VOLUNTEERS_PER_STEP]
            found += [of_volunteer(v) for v in nearest]
        elif kind == TargetKind.DUTY_TEAM:
            found += [of_user(u, team) for u in staff(session, at, "duty_worker", Role.WORKER)]
        elif kind == TargetKind.SUPERVISOR:
            found += [of_user(u, team) for u in staff(session, at, "supervisor", Role.SUPERVISOR)]
        elif kind == TargetKind.MANAGER:
            found += [of_user(u, team) for u in staff(session, at, "manager", Role.MANAGER)]
    unique: list[Recipient] = []
    for recipient in found:
        key = (recipient.kind, recipient.id)
        if key not in declined and all((r.kind, r.id) != key for r in unique):
            unique.append(recipient)
    return unique


VOLUNTEERS_PER_STEP = 3
"""A volunteer step asks the three nearest available volunteers at once; the first to accept has the order."""


def next_by_distance(session: Session, escalation: Escalation, tried: set[int]) -> list[Recipient]:
    """Return the nearest station not yet asked, measured from the last station asked."""
    last = next((r for r in reversed(escalation.referrals) if r.station_id is not None), None)
    origin = session.get(Station, last.station_id) if last else None
    if origin is None or origin.latitude is None or origin.longitude is None:
        return []
    ranked = stations_by_distance(session, origin.latitude, origin.longitude, (StationTier.STATION.value,))
    return [of_station(station) for station, _km in ranked if station.id not in tried][:1]


def organisations_for(session: Session, service: str | None) -> list[Organisation]:
    """Return active organisations offering the service (all active ones when none is named)."""
    rows = session.scalars(select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.id))
    return [o for o in rows if not service or service in (o.services or [])]
