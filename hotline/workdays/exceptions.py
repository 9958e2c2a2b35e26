"""Errors of the working-day calendar."""

from __future__ import annotations


class CalendarError(Exception):
    """Base of the calendar's errors."""


class CalendarNotConfirmed(CalendarError):
    """The calendar of a year the holiday data does not announce must be confirmed by a manager first."""

    def __init__(self, years: list[int]) -> None:
        super().__init__(f"calendar not confirmed for {', '.join(map(str, years))}")
        self.years = years


class NoHolidaysNotAcknowledged(CalendarError):
    """A year with no public holiday at all can be confirmed only with an explicit "no public holidays"."""

    def __init__(self, year: int) -> None:
        super().__init__(f"the calendar of {year} has no public holidays")
        self.year = year
