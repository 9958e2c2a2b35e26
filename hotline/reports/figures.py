"""The reported figures: their names, and Counts, the sums every figure is computed from.

Definitions are in docs/reports.md. Counts of the parts of a range add up to the
whole, so rows that partition a range (days, services, areas…) sum to its totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

FIELDS = (
    "calls_offered",
    "calls_answered",
    "calls_abandoned",
    "answer_rate",
    "avg_speed_of_answer_s",
    "avg_handle_time_s",
    "service_level",
    "voicemails",
    "callbacks_requested",
    "referrals_created",
    "referrals_acknowledged_within_deadline",
    "first_contact_resolution_rate",
    "satisfaction_avg",
)
RATE_FIELDS = ("answer_rate", "service_level", "first_contact_resolution_rate")
SECONDS_FIELDS = ("avg_speed_of_answer_s", "avg_handle_time_s")


@dataclass
class Counts:
    """Sums from which every figure is computed; counts of parts add up to the whole."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    wait_sum: float = 0.0
    within_target: int = 0
    handle_sum: float = 0.0
    handle_n: int = 0
    voicemails: int = 0
    callbacks: int = 0
    content_calls: int = 0
    resolved_calls: int = 0
    satisfaction_sum: int = 0
    satisfaction_n: int = 0
    referrals: int = 0
    referrals_in_time: int = 0

    def add(self, other: Counts) -> None:
        """Add another group's sums to these."""
        mine, theirs = self.__dict__, other.__dict__
        for name in COUNT_NAMES:
            mine[name] += theirs[name]

    def figures(self) -> dict[str, Any]:
        """Return the reported figures (None where the denominator is zero)."""

        def share(part: float, whole: float, digits: int = 4) -> float | None:
            return round(part / whole, digits) if whole else None

        return {
            "calls_offered": self.offered,
            "calls_answered": self.answered,
            "calls_abandoned": self.abandoned,
            "answer_rate": share(self.answered, self.offered),
            "avg_speed_of_answer_s": share(self.wait_sum, self.answered, 1),
            "avg_handle_time_s": share(self.handle_sum, self.handle_n, 1),
            "service_level": share(self.within_target, self.offered),
            "voicemails": self.voicemails,
            "callbacks_requested": self.callbacks,
            "referrals_created": self.referrals,
            "referrals_acknowledged_within_deadline": self.referrals_in_time,
            "first_contact_resolution_rate": share(self.resolved_calls, self.content_calls),
            "satisfaction_avg": share(self.satisfaction_sum, self.satisfaction_n, 2),
        }


COUNT_NAMES = tuple(item.name for item in fields(Counts))


@dataclass
class Row:
    """One line of a report table: a key (day, service code, area id…), its label and its figures."""

    key: Any
    label: str
    counts: Counts = field(default_factory=Counts)

    @property
    def figures(self) -> dict[str, Any]:
        """Return the row's figures."""
        return self.counts.figures()

    def as_dict(self, key_name: str = "key") -> dict[str, Any]:
        """Return the row for JSON: its key, label and figures."""
        return {key_name: self.key, "label": self.label, **self.figures}
