"""`flask --app wsgi seed demo`: a realistic demo district (Tianjin, Baodi District).

Streets and townships are the official ones (hotline/directory/data); the
communities below them are invented for the demo and marked so (`invented`,
and "（示例）" in their names). Running it again adds nothing twice.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import click
from flask import current_app, has_app_context
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.models import Certification, User
from hotline.accounts.services import hash_password
from hotline.cases.models import Case
from hotline.clock import hotline_zone, utcnow
from hotline.demo_history import HISTORY_DAYS, seed_history
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station, Volunteer
from hotline.directory.services import import_divisions
from hotline.escalation.policies import seed_default_policies as seed_escalation_policies
from hotline.extensions import db
from hotline.privacy import phone_lookup_hash
from hotline.rota.models import DraftAssignment, Shift, ShiftAssignment
from hotline.vocabulary import AreaLevel, CertificationLevel, ExpertSkill, Role, Service, StationTier

DISTRICT_CODE = "120115"
DISTRICT_CENTRE = (39.7167, 117.3083)
DEMO_PASSWORD = "hotline-demo-desk-2026"
HISTORY_WEEKS = -(-HISTORY_DAYS // 7)
"""Weeks of published rota before this week, under the demo's past calls (and the rota fairness figures)."""
STREETS = 6  # all six streets of Baodi
TOWNSHIPS = 10  # the first ten of its eighteen towns
COMMUNITY_SUFFIXES = {"street": ("东里社区", "西苑社区", "南街社区"), "town": ("东村", "西村")}
WORKER_NAMES = (
    "王晓梅",
    "李建国",
    "张丽娟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵敏",
    "黄磊",
    "周婷",
    "吴刚",
    "徐璐",
    "孙浩",
    "马丽",
    "朱琳",
    "胡军",
    "郭颖",
)
SUPERVISOR_NAMES = ("高文华", "林淑芬")
SHIFT_TIMES = (
    (time(9), time(13), "上午班"),
    (time(13), time(17), "下午班"),
    (time(17), time(1), "晚班"),
    (time(1), time(9), "夜班"),
)
"""Round the clock: the demo line answers at any hour, so README's walk works whenever it is tried."""


@dataclass(frozen=True)
class ExpertSeed:
    """One demo expert volunteer."""

    name: str
    profession: str
    organisation: str
    skills: tuple[str, ...]
    weekdays: tuple[int, ...]


EXPERTS = (
    ExpertSeed("韩律师", "律师", "天津某律师事务所（示例）", (ExpertSkill.LEGAL,), (1, 3)),
    ExpertSeed(
        "沈心怡",
        "心理咨询师",
        "宝坻区心理健康服务中心（示例）",
        (ExpertSkill.PSYCHOLOGY, ExpertSkill.CRISIS),
        (2, 4, 6),
    ),
    ExpertSeed("许教授", "社会工作教授", "天津某大学社会工作系（示例）", (ExpertSkill.SOCIAL_WORK,), (5,)),
    ExpertSeed("邓医生", "全科医生", "宝坻区人民医院（示例）", (ExpertSkill.MEDICAL,), (1, 4)),
    ExpertSeed("冯老师", "家庭教育指导师", "宝坻区家庭教育指导中心（示例）", (ExpertSkill.FAMILY_EDUCATION,), (3, 7)),
    ExpertSeed("曹护师", "养老照护专家", "宝坻区养老服务指导中心（示例）", (ExpertSkill.ELDER_CARE,), (2, 6)),
)
ORGANISATIONS = (
    ("宝坻区慈善协会（示例）", "慈善救助、临时困难帮扶", (Service.RESOURCES, Service.NEEDS), "charity_resource"),
    (
        "宝坻区青少年关爱服务中心（示例）",
        "困境儿童与留守儿童关爱",
        (Service.FAMILY, Service.EMOTIONAL),
        "social_organisation",
    ),
    (
        "宝坻区助老志愿服务队（示例）",
        "独居、空巢老人探访与照料",
        (Service.RESOURCES, Service.LISTENING),
        "volunteer_team",
    ),
    (
        "宝坻区残疾人康复互助会（示例）",
        "残疾人康复与就业支持",
        (Service.RESOURCES, Service.INFO),
        "social_organisation",
    ),
    ("宝坻街道社区居委会（示例）", "社区居民事务与邻里互助", (Service.NEEDS, Service.INFO), "community"),
)
VOLUNTEERS = (
    ("刘志愿（示例）", ("home_visit", "companionship", "elder_care"), (1, 2, 3, 4, 5)),
    ("陈志愿（示例）", ("errands", "transport"), (6, 7)),
    ("杨志愿（示例）", ("tutoring", "companionship"), ()),
)
"""Ordinary community volunteers: name, skills, available weekdays (none: any day)."""


def spread(code: str, scale: float = 0.12) -> tuple[float, float]:
    """Return approximate demo coordinates around the district centre, stable per code."""
    digest = zlib.crc32(code.encode())
    lat = DISTRICT_CENTRE[0] + ((digest & 0xFFFF) / 0xFFFF - 0.5) * 2 * scale
    lon = DISTRICT_CENTRE[1] + (((digest >> 16) & 0xFFFF) / 0xFFFF - 0.5) * 2 * scale
    return round(lat, 5), round(lon, 5)


def demo_phone(kind: int, number: int) -> str:
    """Return a demo mobile number in E.164 (139 0000 KNNN, a range no real subscriber gets)."""
    return f"+86139000{kind:01d}{number:04d}"


def seed_areas(session: Session) -> tuple[Area, list[Area]]:
    """Import the district, keep 6 streets and 10 townships, add invented communities."""
    district = import_divisions(session, DISTRICT_CODE)
    district.latitude, district.longitude = DISTRICT_CENTRE
    streets = [area for area in district.children if area.name.endswith("街道")][:STREETS]
    towns = [area for area in district.children if area.name.endswith("镇")][:TOWNSHIPS]
    chosen = streets + towns
    for area in chosen:
        area.latitude, area.longitude = spread(area.code)
        suffixes = COMMUNITY_SUFFIXES["street" if area in streets else "town"]
        stem = area.name.removesuffix("街道").removesuffix("镇")
        for index, suffix in enumerate(suffixes, start=1):
            code = f"{area.code}{index:03d}"
            community = session.scalar(select(Area).where(Area.code == code))
            if community is None:
                lat, lon = spread(code, scale=0.02)
                community = Area(
                    code=code,
                    name=f"{stem}{suffix}（示例）",
                    level=AreaLevel.COMMUNITY.value,
                    parent=area,
                    invented=True,
                    latitude=area.latitude + (lat - DISTRICT_CENTRE[0]),
                    longitude=area.longitude + (lon - DISTRICT_CENTRE[1]),
                )
                session.add(community)
    session.flush()
    return district, chosen


def get_or_create_station(session: Session, name: str, **fields: object) -> Station:
    """Return the station with this name, creating it with `fields` if new."""
    station = session.scalar(select(Station).where(Station.name == name))
    if station is None:
        station = Station(name=name, **fields)
        session.add(station)
    return station


def seed_stations(session: Session, district: Area, areas: list[Area]) -> None:
    """A district centre, a station per street and township, a room in each first community."""
    centre = get_or_create_station(
        session,
        "宝坻区社会工作指导服务中心",
        tier=StationTier.DISTRICT_CENTRE.value,
        area=district,
        phone="+862229241000",
        address="天津市宝坻区（示例地址）",
        latitude=district.latitude,
        longitude=district.longitude,
        duty_contact_name="中心值班员",
        duty_contact_phone=demo_phone(3, 0),
    )
    if not centre.areas_covered:
        centre.areas_covered = [district]
    for number, area in enumerate(areas, start=1):
        station = get_or_create_station(
            session,
            f"{area.name}社会工作服务站",
            tier=StationTier.STATION.value,
            area=area,
            parent=centre,
            phone=demo_phone(3, number),
            address=f"天津市宝坻区{area.name}（示例地址）",
            latitude=area.latitude,
            longitude=area.longitude,
            duty_contact_name=f"{area.name}站值班社工",
            duty_contact_phone=demo_phone(4, number),
        )
        if not station.areas_covered:
            station.areas_covered = [area, *area.children]
        first = area.children[0] if area.children else None
        if first is not None and number % 2 == 1:
            room = get_or_create_station(
                session,
                f"{first.name}社会工作服务室",
                tier=StationTier.ROOM.value,
                area=first,
                parent=station,
                phone=demo_phone(5, number),
                latitude=first.latitude,
                longitude=first.longitude,
                duty_contact_name=f"{first.name}社工",
                duty_contact_phone=demo_phone(6, number),
            )
            if not room.areas_covered:
                room.areas_covered = [first]


def get_or_create_user(session: Session, username: str, password_hash: str, **fields: object) -> tuple[User, bool]:
    """Return (user, created)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is not None:
        return user, False
    user = User(username=username, password_hash=password_hash, **fields)
    session.add(user)
    return user, True


def certificate(level: CertificationLevel, number: str, valid_until: date) -> Certification:
    """Return a demo certificate issued by the national examination body."""
    return Certification(
        level=level.value,
        number=number,
        issuing_body="人力资源和社会保障部 / 民政部",
        registered_on=valid_until - timedelta(days=3 * 365),
        valid_until=valid_until,
    )


def seed_people(session: Session, today: date) -> list[tuple[str, str]]:
    """Create the staff accounts; return (username, role) of each demo account."""
    password_hash = hash_password(DEMO_PASSWORD)
    accounts: list[tuple[str, str]] = []
    levels = (
        [CertificationLevel.SENIOR] * 3 + [CertificationLevel.INTERMEDIATE] * 8 + [CertificationLevel.ASSISTANT] * 5
    )
    service_cycle = [
        Service.EMOTIONAL,
        Service.FAMILY,
        Service.INFO,
        Service.RESOURCES,
        Service.LISTENING,
        Service.NEEDS,
    ]
    for index, name in enumerate(WORKER_NAMES, start=1):
        username = f"worker{index:02d}"
        user, created = get_or_create_user(
            session,
            username,
            password_hash,
            display_name=name,
            role=Role.WORKER.value,
            phone=demo_phone(1, index),
            languages=["zh"],
            skills=[
                service_cycle[index % len(service_cycle)].value,
                service_cycle[(index + 2) % len(service_cycle)].value,
            ]
            + ([Service.CRISIS.value] if levels[index - 1] != CertificationLevel.ASSISTANT else []),
        )
        if created:
            # Two registrations run out within 30 days and one has expired, as in real rosters.
            valid_until = {3: today + timedelta(days=12), 9: today + timedelta(days=25), 16: today - timedelta(days=20)}
            user.certifications.append(
                certificate(
                    levels[index - 1],
                    f"SW{2019 + index % 5}{index:05d}",
                    valid_until.get(index, today + timedelta(days=400 + 30 * index)),
                )
            )
        accounts.append((username, Role.WORKER.value))
    for index, name in enumerate(SUPERVISOR_NAMES, start=1):
        username = f"supervisor{index}"
        user, created = get_or_create_user(
            session,
            username,
            password_hash,
            display_name=name,
            role=Role.SUPERVISOR.value,
            phone=demo_phone(2, index),
            languages=["zh"],
            skills=[Service.CRISIS.value, Service.EMOTIONAL.value],
        )
        if created:
            user.certifications.append(
                certificate(CertificationLevel.SENIOR, f"SSW2018{index:05d}", today + timedelta(days=900))
            )
        accounts.append((username, Role.SUPERVISOR.value))
    get_or_create_user(
        session, "manager", password_hash, display_name="郑主任", role=Role.MANAGER.value, phone=demo_phone(2, 10)
    )
    get_or_create_user(session, "admin", password_hash, display_name="系统管理员", role=Role.ADMIN.value)
    accounts += [("manager", Role.MANAGER.value), ("admin", Role.ADMIN.value)]
    session.flush()
    return accounts


def seed_experts_and_organisations(session: Session, district: Area) -> None:
    """Six expert volunteers with duty days, organisations of each of the five parties, three volunteers."""
    for number, seed in enumerate(EXPERTS, start=1):
        if session.scalar(select(ExpertVolunteer.id).where(ExpertVolunteer.name == seed.name)) is None:
            session.add(
                ExpertVolunteer(
                    name=seed.name,
                    profession=seed.profession,
                    organisation=seed.organisation,
                    phone=demo_phone(7, number),
                    skills=[skill.value for skill in seed.skills],
                    languages=["zh"],
                    duty_weekdays=list(seed.weekdays),
                    duty_start=time(9),
                    duty_end=time(17),
                    max_open_referrals=3,
                )
            )
    for number, (name, description, services, kind) in enumerate(ORGANISATIONS, start=1):
        if session.scalar(select(Organisation.id).where(Organisation.name == name)) is None:
            session.add(
                Organisation(
                    name=name,
                    kind=kind,
                    description=description,
                    services=[service.value for service in services],
                    area=district,
                    contact_name="联络人",
                    phone=demo_phone(8, number),
                )
            )
    streets = list(district.children)
    for number, (name, skills, weekdays) in enumerate(VOLUNTEERS, start=1):
        if session.scalar(select(Volunteer.id).where(Volunteer.name == name)) is None:
            session.add(
                Volunteer(
                    name=name,
                    phone=demo_phone(9, number),
                    skills=list(skills),
                    areas=streets[number - 1 :: len(VOLUNTEERS)][:3],
                    available_weekdays=list(weekdays),
                    available_from=time(8),
                    available_until=time(20),
                )
            )
    session.flush()


def seed_rota(session: Session, start: date, weeks: int = 4) -> int:
    """Publish `weeks` weeks of four shifts a day (round the clock) with 3 duty workers and a supervisor.

    Returns the number of shifts made.
    """
    workers = list(session.scalars(select(User).where(User.role == Role.WORKER.value).order_by(User.username)))
    supervisors = list(session.scalars(select(User).where(User.role == Role.SUPERVISOR.value).order_by(User.username)))
    experts = list(session.scalars(select(ExpertVolunteer).order_by(ExpertVolunteer.id)))
    with session.no_autoflush:  # one flush at the end, not one per shift
        made = _seed_shifts(session, start, weeks, workers, supervisors, experts)
    session.flush()
    return made


def _seed_shifts(
    session: Session,
    start: date,
    weeks: int,
    workers: list[User],
    supervisors: list[User],
    experts: list[ExpertVolunteer],
) -> int:
    """Add the shifts of seed_rota that are not there yet; return how many."""
    zone = hotline_zone()
    made = 0
    slot = 0
    for offset in range(weeks * 7):
        day = start + timedelta(days=offset)
        for start_time, end_time, label in SHIFT_TIMES:
            starts_at = datetime.combine(day, start_time, tzinfo=zone)
            exists = session.scalar(select(Shift.id).where(Shift.starts_at == starts_at, Shift.label == label))
            if exists is not None:
                slot += 1
                continue
            ends_on = day + timedelta(days=1) if end_time <= start_time else day
            shift = Shift(
                label=label,
                starts_at=starts_at,
                ends_at=datetime.combine(ends_on, end_time, tzinfo=zone),
                status="published",
            )
            # Only workers whose registration is valid that day may answer.
            certified = {user: user.valid_certification(day) for user in workers}
            qualified = [u for u, c in certified.items() if c and c.level != CertificationLevel.ASSISTANT]
            assistants = [u for u, c in certified.items() if c and c.level == CertificationLevel.ASSISTANT]
            crew = [
                qualified[slot % len(qualified)],
                qualified[(slot + 5) % len(qualified)],
                assistants[slot % len(assistants)],
            ]
            for user in crew:
                shift.assignments.append(ShiftAssignment(duty="duty_worker", user=user))
            shift.assignments.append(ShiftAssignment(duty="supervisor", user=supervisors[slot % len(supervisors)]))
            for expert in experts:
                if day.isoweekday() in expert.duty_weekdays:
                    shift.assignments.append(ShiftAssignment(duty="expert", expert=expert, skill=expert.skills[0]))
            # The editor's draft starts equal to the published rota.
            for duty in shift.assignments:
                shift.draft_assignments.append(
                    DraftAssignment(duty=duty.duty, user=duty.user, expert=duty.expert, skill=duty.skill)
                )
            session.add(shift)
            made += 1
            slot += 1
    return made


def seed_line_hours(session: Session) -> None:
    """Open the demo line round the clock, holidays included, as the demo rota is staffed."""
    from hotline.telephony.line_settings import DAYS, load_line_settings, save_line_settings

    settings = load_line_settings(session)
    settings.weekly_hours = {day: [["00:00", "24:00"]] for day in DAYS}
    settings.open_on_holidays = True
    save_line_settings(session, settings, None)


def seed_work_orders(session: Session, now: datetime) -> list[tuple[str, str]]:
    """Give two street stations an account each and the district work orders in every state; once only."""
    from hotline.workorders import closing
    from hotline.workorders import services as orders
    from hotline.workorders.models import WorkOrder

    stations = list(session.scalars(select(Station).where(Station.tier == "station").order_by(Station.id).limit(2)))
    if len(stations) < 2 or session.scalar(select(func.count(WorkOrder.id))):
        return []
    password_hash = hash_password(DEMO_PASSWORD)
    members = []
    for number, station in enumerate(stations, start=1):
        user, _made = get_or_create_user(
            session, f"station{number}", password_hash, display_name=f"{station.name}值班", role="station"
        )
        session.flush()
        orders.set_membership(session, user.id, station_id=station.id, organisation_id=None)
        members.append(user)
    worker = session.scalar(select(User).where(User.role == "worker").order_by(User.id))
    supervisor = session.scalar(select(User).where(User.role == "supervisor").order_by(User.id))
    area = stations[0].area_id
    asks = [
        "独居老人需要上门探访",
        "低保申请材料咨询，需要社工协助",
        "留守儿童放学后无人照看",
        "残疾人康复资源链接",
        "困难家庭临时救助",
        "空巢老人情绪低落，需要陪伴",
        "高龄老人助餐服务",
        "流动人口子女入学咨询",
    ]
    made = []
    for index, ask in enumerate(asks):
        case = Case(
            reference=f"DEMO-WO-{index + 1:03d}",
            status="referred",
            area_id=area,
            services=["resources"],
            summary=ask,
            consent_share=True,
            consent_callback=True,
            caller_name=f"示例来电人{index + 1}",
            caller_phone=demo_phone(9, index + 1),
            created_at=now - timedelta(days=2),
        )
        case.caller_phone_hash = phone_lookup_hash(case.caller_phone)
        session.add(case)
        session.flush()
        order = orders.dispatch_to_unit(
            session,
            case_id=case.id,
            kind="station",
            unit_id=stations[0].id,
            urgency="urgent" if index % 3 == 0 else "normal",
            reason="home_visit",
            request_text=ask,
            actor_id=worker.id if worker else None,
            now=now - timedelta(days=2),
        )
        made.append(order)
    first, second = members
    start = now - timedelta(days=2)
    # 0 dispatched (overdue to sign for), 1 signed, 2 in progress with an extension requested
    orders.sign(session, made[1].id, actor=first, now=start + timedelta(minutes=20))
    orders.sign(session, made[2].id, actor=first, now=start + timedelta(minutes=40))
    orders.add_note(session, made[2].id, "已电话联系，约定明天上门", actor=first, now=start + timedelta(hours=2))
    orders.request_extension(
        session,
        made[2].id,
        until=made[2].handle_due_at + timedelta(days=3),
        reason="等待民政所回复",
        actor=first,
        now=start + timedelta(hours=3),
    )
    # 3 returned to the supervisor, 4 re-dispatched to the second station and signed there
    orders.return_order(session, made[3].id, "不在本站服务范围", actor=first, now=start + timedelta(hours=1))
    orders.return_order(session, made[4].id, "本站人手不足", actor=first, now=start + timedelta(hours=1))
    if supervisor is not None:
        orders.redispatch(
            session,
            made[4].id,
            kind="station",
            unit_id=stations[1].id,
            actor=supervisor,
            now=start + timedelta(hours=2),
        )
        orders.supervise(session, made[0].id, "请今天内签收", actor=supervisor, now=now - timedelta(hours=1))
    orders.sign(session, made[4].id, actor=second, now=start + timedelta(hours=3))
    # 5 return call due, 6 closed resolved, 7 reopened after "not resolved"
    for order in made[5:]:
        orders.sign(session, order.id, actor=first, now=start + timedelta(minutes=30))
        closing.submit_result(session, order.id, "已上门并链接了社区资源", actor=first, now=start + timedelta(hours=20))
    if worker is not None:
        closing.record_verdict(
            session,
            made[6].id,
            reached=True,
            resolved=True,
            satisfaction=5,
            note=None,
            worker=worker,
            now=start + timedelta(days=1),
        )
        closing.record_verdict(
            session,
            made[7].id,
            reached=True,
            resolved=False,
            satisfaction=2,
            note="还需要跟进",
            worker=worker,
            now=start + timedelta(days=1),
        )
    from hotline.workorders.supervision import act_on_deadlines

    act_on_deadlines(session, now)
    return [(user.username, user.role) for user in members]


class DemoRefused(RuntimeError):
    """The demo seed was asked to run in production."""


def seed_demo(session: Session, now: datetime | None = None) -> list[tuple[str, str]]:
    """Create the whole demo district; return the demo accounts.

    Raises:
        DemoRefused: the app runs in production (the demo's password is published).
    """
    if has_app_context() and current_app.config.get("ENV_NAME") == "production":
        raise DemoRefused("the demo seed creates accounts with a published password: it refuses to run in production")
    now = now or utcnow()
    today = now.astimezone(hotline_zone()).date()
    district, areas = seed_areas(session)
    seed_stations(session, district, areas)
    accounts = seed_people(session, today)
    seed_experts_and_organisations(session, district)
    monday = today - timedelta(days=today.weekday())
    seed_rota(session, monday - timedelta(weeks=HISTORY_WEEKS), HISTORY_WEEKS + 4)
    seed_line_hours(session)
    seed_escalation_policies(session)
    session.commit()
    from hotline.knowledge.exchange import import_demo

    import_demo(session, now)
    accounts += seed_work_orders(session, now)
    seed_history(session, now, demo_phone)
    return accounts


seed_cli = AppGroup("seed", help="Demo data.")


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo district, its people, experts, organisations and a published rota (never in production)."""
    if if_empty and (db.session.scalar(select(func.count(User.id))) or 0) > 0:
        click.echo("database already has accounts; demo not seeded again")
        accounts = [
            (user.username, user.role) for user in db.session.scalars(select(User).order_by(User.role, User.username))
        ]
    else:
        try:
            accounts = seed_demo(db.session)
        except DemoRefused as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for username, role in accounts:
        click.echo(f"  {username:<12} {role}")
