"""The figures: calls, answers, waits, referrals and satisfaction over local days, by any dimension.

Definitions are in docs/reports.md. A breakdown reads call sums and referral
facts for the range (queries.py) and folds them into one row per hour, day, week,
service, target group, area or worker; the summary is the totals with by_day,
by_service and by_area.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.clock import hotline_zone
from hotline.directory.models import Area
from hotline.reports.figures import Counts, Row
from hotline.reports.queries import add_referrals, call_groups, local_moment, referral_facts
from hotline.settings import Setting
from hotline.vocabulary import Service, TargetGroup
from hotline.vocabulary import label as glossary_label

DEFAULT_SERVICE_LEVEL_SECONDS = 20
SETTING_KEY = "reports"
CALL_VIEWS = ("hour", "day", "week", "service", "target_group", "area", "worker")
UNKNOWN_LABELS = {
    "service": _l("Service not recorded"),
    "area": _l("Area not known"),
    "worker": _l("No worker"),
    "target_group": _l("Target group not recorded"),
}
"""The row of calls and referrals without a service, area, worker or target group."""


def label(value: Any) -> str:
    """Return a glossary label in the request's language (the code itself outside a request)."""
    return glossary_label(value) if has_request_context() else str(value)


class RangeInvalid(ValueError):
    """The date range is backwards or too long."""


def service_level_target(session: Session) -> int:
    """Return the service-level target in seconds (setting `reports`, default 20)."""
    row = session.get(Setting, SETTING_KEY)
    return int((row.value if row else {}).get("service_level_target_s", DEFAULT_SERVICE_LEVEL_SECONDS))


def utc_range(start_day: date, end_day: date) -> tuple[datetime, datetime]:
    """Return [start, end) in UTC covering local days start_day..end_day inclusive.

    Raises:
        RangeInvalid: end before start, or more than 366 days.
    """
    if end_day < start_day:
        raise RangeInvalid("to is before from")
    if (end_day - start_day).days > 366:
        raise RangeInvalid("at most 366 days")
    zone = hotline_zone()
    start = datetime.combine(start_day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def week_key(day: date) -> str:
    """Return the ISO week of a day: 2026-W09."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


TIME_KEYS: dict[str, Callable[[datetime], Any]] = {
    "day": lambda moment: moment.date().isoformat(),
    "hour": lambda moment: moment.hour,
    "week": lambda moment: week_key(moment.date()),
}


def days_between(start_day: date, end_day: date) -> list[date]:
    """Return every day from start to end inclusive."""
    return [start_day + timedelta(days=n) for n in range((end_day - start_day).days + 1)]


def area_folder(session: Session) -> Callable[[int | None], tuple[int | None, str]]:
    """Return a function mapping an area to the street/township it lies in (reports count by street)."""
    areas = {row.id: row for row in session.execute(select(Area.id, Area.parent_id, Area.level, Area.name))}

    def fold(area_id: int | None) -> tuple[int | None, str]:
        node = areas.get(area_id) if area_id is not None else None
        start = node
        while node is not None and node.level not in ("street", "district", "city", "province"):
            node = areas.get(node.parent_id)
        node = node or start
        return (node.id, node.name) if node is not None else (None, "")

    return fold


def breakdown(session: Session, start_day: date, end_day: date, view: str, target_s: int | None = None) -> list[Row]:
    """Return the figures for local days start..end, one row per hour, day, week, service, group, area or worker."""
    if view not in CALL_VIEWS:
        raise ValueError(view)
    start, end = utc_range(start_day, end_day)
    target_s = service_level_target(session) if target_s is None else target_s
    facts = referral_facts(session, start, end)
    rows: dict[Any, Row] = {}
    unknown = {"service": "unspecified", "area": "unknown", "worker": "nobody", "target_group": "unspecified"}
    if has_request_context():
        unknown = {key: str(text) for key, text in UNKNOWN_LABELS.items()}

    def row_for(key: Any, text: str) -> Row:
        return rows.setdefault(key, Row(key, text))

    if view in TIME_KEYS:
        to_key = TIME_KEYS[view]
        if view == "day":
            for day in days_between(start_day, end_day):
                row_for(day.isoformat(), day.isoformat())
        elif view == "hour":
            for hour in range(24):
                row_for(hour, f"{hour:02d}:00")
        else:
            for day in days_between(start_day, end_day):
                row_for(week_key(day), week_key(day))
        for bucket, counts in call_groups(session, start, end, "bucket", target_s).items():
            key = to_key(local_moment(int(bucket)))
            row_for(key, str(key) if view != "hour" else f"{key:02d}:00").counts.add(counts)
        referral_groups: dict[Any, Counts] = {}
        add_referrals(referral_groups, facts, lambda f: [to_key(f.created_at.astimezone(hotline_zone()))])
    elif view == "area":
        fold = area_folder(session)
        for area_id, counts in call_groups(session, start, end, "area", target_s).items():
            key, name = fold(area_id)
            row_for(key, name).counts.add(counts)
        referral_groups = {}
        add_referrals(referral_groups, facts, lambda f: [fold(f.area_id)[0]])
        for key in referral_groups:
            row_for(key, fold(key)[1])
    else:
        if view == "service":
            for service in Service:
                row_for(service.value, label(service))
        groups = call_groups(session, start, end, view, target_s)
        referral_keys = {
            "service": lambda f: [f.services[0] if f.services else None],
            "worker": lambda f: [f.worker_id],
            "target_group": lambda f: f.target_groups or [None],
        }[view]
        referral_groups = {}
        add_referrals(referral_groups, facts, referral_keys)
        names = _names(session, view, set(groups) | set(referral_groups))
        for key in set(groups) | set(referral_groups):
            row_for(key, names.get(key, str(key)))
        for key, counts in groups.items():
            rows[key].counts.add(counts)
    for key, counts in referral_groups.items():
        rows[key].counts.add(counts)
    for row in rows.values():
        if row.key is None:
            row.label = unknown.get(view, "")
    return _ordered(list(rows.values()), view)


def _names(session: Session, view: str, keys: set[Any]) -> dict[Any, str]:
    """Return display names for service codes, target groups or worker ids."""
    if view == "worker":
        ids = [key for key in keys if key is not None]
        return {user.id: user.display_name for user in session.scalars(select(User).where(User.id.in_(ids)))}
    if view == "target_group":
        return {group.value: label(group) for group in TargetGroup}
    return {key: label(key) for key in keys if key is not None}


def _ordered(rows: list[Row], view: str) -> list[Row]:
    """Order rows: times in time order, the rest by calls offered (the unknown group last)."""
    if view in TIME_KEYS:
        return sorted(rows, key=lambda row: row.key)
    if view == "service":
        order = [service.value for service in Service]
        return sorted(rows, key=lambda row: order.index(row.key) if row.key in order else len(order))
    return sorted(rows, key=lambda row: (row.key is None, -row.counts.offered, row.label))


def totals(rows: Iterable[Row]) -> Counts:
    """Return the sums over rows that partition the range (day, hour, week, service, area, worker)."""
    total = Counts()
    for row in rows:
        total.add(row.counts)
    return total


def summary(session: Session, start_day: date, end_day: date) -> dict[str, Any]:
    """Return the summary: every figure for the range, and by_day, by_service and by_area."""
    target_s = service_level_target(session)
    by_day = breakdown(session, start_day, end_day, "day", target_s)
    by_service = breakdown(session, start_day, end_day, "service", target_s)
    by_area = breakdown(session, start_day, end_day, "area", target_s)
    return {
        "from": start_day.isoformat(),
        "to": end_day.isoformat(),
        "service_level_target_s": target_s,
        **totals(by_day).figures(),
        "by_day": [row.as_dict("day") for row in by_day],
        "by_service": [row.as_dict("service") for row in by_service],
        "by_area": [row.as_dict("area_id") for row in by_area],
    }
