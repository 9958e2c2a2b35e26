"""The rota's rules and targets, kept as one JSON setting that managers edit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sqlalchemy.orm import Session

from hotline.settings import Setting

SETTING_KEY = "rota.rules"
MAX_SHIFT_HOURS = 24
"""No shift is longer than a day, so "who is on duty" only looks one day back."""


@dataclass(frozen=True)
class RotaRules:
    """Limits the validator enforces and targets the automatic draft and staffing use."""

    max_hours_per_week: int = 40
    min_rest_hours: int = 10
    """Between two shifts of one person that do not touch; shifts that touch form one stretch."""
    max_consecutive_days: int = 6
    """Days on duty in a row before a day of rest is due (a warning in the editor)."""
    supervisor_min_level: str = "senior"
    reminder_hours_before: int = 2
    certificate_warning_days: int = 30
    weekend_weight: float = 1.5
    holiday_weight: float = 2.0
    autodraft_time_limit_seconds: int = 20
    target_answer_share: float = 0.8
    target_answer_seconds: int = 20
    history_weeks: int = 4

    def as_dict(self) -> dict[str, Any]:
        """Return the rules as a JSON-ready dict."""
        return asdict(self)


def load_rules(session: Session) -> RotaRules:
    """Return the rules, defaults filled in for anything not set."""
    row = session.get(Setting, SETTING_KEY)
    known = {field.name for field in fields(RotaRules)}
    stored = {key: value for key, value in (row.value if row else {}).items() if key in known}
    return replace(RotaRules(), **stored)


def save_rules(session: Session, rules: RotaRules, actor_id: int | None) -> RotaRules:
    """Store the rules and commit."""
    row = session.get(Setting, SETTING_KEY) or Setting(key=SETTING_KEY)
    row.value = rules.as_dict()
    row.updated_by_id = actor_id
    session.add(row)
    session.commit()
    return rules
