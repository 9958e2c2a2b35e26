"""Rota fixtures: shifts on local days with people in both layers, a recording telephony provider."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hotline.accounts.models import Certification, User
from hotline.rota.models import DRAFT, PUBLISHED, DraftAssignment, Shift, ShiftAssignment
from hotline.telephony.providers import RecordingProvider

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """Return a Shanghai wall-clock moment."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def provider() -> RecordingProvider:
    """A telephony provider that records the SMS it is asked to send."""
    return RecordingProvider()


@pytest.fixture
def make_shift(db_session: Any) -> Callable[..., Shift]:
    """Build a shift: make_shift(day, 9, 13, workers=[u], supervisors=[s], status="published").

    People go into the draft, and into the duties in force when the shift is published.
    `layers` limits where they go ("draft" or "published").
    """

    def build(
        day: date,
        start: int = 9,
        end: int = 13,
        workers: list[User] = (),
        supervisors: list[User] = (),
        experts: list[Any] = (),
        status: str = PUBLISHED,
        label: str | None = None,
        layers: tuple[str, ...] | None = None,
        **fields: Any,
    ) -> Shift:
        starts_at = local(day, start)
        ends_at = local(day + timedelta(days=1) if end <= start else day, end % 24)
        shift = Shift(
            label=label or ("上午班" if start < 13 else "下午班"),
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            **fields,
        )
        layers = layers or ((DRAFT, PUBLISHED) if status == PUBLISHED else (DRAFT,))
        duties = [("duty_worker", u, None) for u in workers] + [("supervisor", u, None) for u in supervisors]
        duties += [("expert", None, x) for x in experts]
        for duty, user, expert in duties:
            skill = (expert.skills or [None])[0] if expert is not None else None
            if DRAFT in layers:
                shift.draft_assignments.append(DraftAssignment(duty=duty, user=user, expert=expert, skill=skill))
            if PUBLISHED in layers:
                shift.assignments.append(ShiftAssignment(duty=duty, user=user, expert=expert, skill=skill))
        db_session.add(shift)
        db_session.commit()
        return shift

    return build


@pytest.fixture
def crew(make_user: Callable[..., User], db_session: Any) -> dict[str, User]:
    """A small certified team: two intermediate, one assistant, a senior supervisor, one expired, one uncertified."""
    team = {
        "ann": make_user("worker", display_name="Ann", level="intermediate", phone="+8613900000001"),
        "bo": make_user("worker", display_name="Bo", level="intermediate", phone="+8613900000002"),
        "cy": make_user("worker", display_name="Cy", level="assistant", phone="+8613900000003"),
        "sue": make_user("supervisor", display_name="Sue", level="senior", phone="+8613900000004"),
        "old": make_user("worker", display_name="Old", level="intermediate", phone="+8613900000005"),
        "none": make_user("worker", display_name="None", certified=False),
    }
    team["old"].certifications[0].valid_until = date(2025, 12, 31)
    db_session.commit()
    return team


def certificate(user: User, level: str, until: date, since: date | None = None) -> Certification:
    """Give a user another certificate."""
    cert = Certification(level=level, number="X1", issuing_body="Test", registered_on=since, valid_until=until)
    user.certifications.append(cert)
    return cert
