"""Import every package's models so the metadata is complete (for Alembic and mappers)."""

from hotline.accounts.models import ApiToken, Certification, User
from hotline.cases.models import Case
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station, station_areas
from hotline.escalation.models import Referral
from hotline.manage.models import Setting
from hotline.rota.models import Shift, ShiftAssignment
from hotline.telephony.models import Call, CallEvent, SimulatedMessage, TelephonyCommand

__all__ = [
    "ApiToken",
    "Area",
    "Call",
    "CallEvent",
    "Case",
    "Certification",
    "ExpertVolunteer",
    "Organisation",
    "Referral",
    "Setting",
    "Shift",
    "ShiftAssignment",
    "SimulatedMessage",
    "Station",
    "TelephonyCommand",
    "User",
    "station_areas",
]

from hotline.audit import AuditEntry  # noqa: E402

__all__ += ["AuditEntry"]
