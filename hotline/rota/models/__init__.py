"""The rota's tables: shifts and assignments, patterns and the calendar, requests, versions, notices."""

from hotline.rota.models.calendar import CalendarDay, CalendarYear, ShiftPattern, ShiftPatternSlot
from hotline.rota.models.people import FeedToken, LeaveRequest, RotaPreference, SwapRequest, WorkerProfile
from hotline.rota.models.records import DraftRequest, RotaMark, RotaNotice, RotaVersion
from hotline.rota.models.shifts import (
    ANSWERING_DUTIES,
    DRAFT,
    DUTY_WORKER,
    EXPERT,
    PUBLISHED,
    SUPERVISOR,
    DraftAssignment,
    Shift,
    ShiftAssignment,
)

__all__ = [
    "ANSWERING_DUTIES",
    "DRAFT",
    "DUTY_WORKER",
    "EXPERT",
    "PUBLISHED",
    "SUPERVISOR",
    "CalendarDay",
    "CalendarYear",
    "DraftAssignment",
    "DraftRequest",
    "FeedToken",
    "LeaveRequest",
    "RotaMark",
    "RotaNotice",
    "RotaPreference",
    "RotaVersion",
    "Shift",
    "ShiftAssignment",
    "ShiftPattern",
    "ShiftPatternSlot",
    "SwapRequest",
    "WorkerProfile",
]
