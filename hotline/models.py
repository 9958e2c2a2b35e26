"""Import every package's models so the metadata is complete (for Alembic and mappers)."""

from hotline.accounts.models import ApiToken, Certification, User
from hotline.cases.models import Case
from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station, station_areas
from hotline.escalation.models import (
    Escalation,
    EscalationPolicy,
    NotificationAttempt,
    PolicyStep,
    Referral,
    ReferralStep,
    ResponderReplyCode,
    SmsReply,
)
from hotline.robots.models import RobotSend
from hotline.rota.models import Shift, ShiftAssignment
from hotline.settings import Setting
from hotline.sms.models import SmsConsent, SmsInbound, SmsMessage
from hotline.telephony.models import (
    Call,
    CallEvent,
    CallSatisfaction,
    PromptRecording,
    SimulatedMessage,
    TelephonyCommand,
)
from hotline.workorders.models import StationMember, WorkOrder, WorkOrderAttachment, WorkOrderEvent

__all__ = [
    "ApiToken",
    "Area",
    "Call",
    "CallEvent",
    "CallSatisfaction",
    "Case",
    "Certification",
    "ExpertVolunteer",
    "Organisation",
    "PromptRecording",
    "Referral",
    "RobotSend",
    "Setting",
    "Shift",
    "SmsConsent",
    "SmsInbound",
    "SmsMessage",
    "ShiftAssignment",
    "SimulatedMessage",
    "Station",
    "TelephonyCommand",
    "StationMember",
    "User",
    "WorkOrder",
    "WorkOrderAttachment",
    "WorkOrderEvent",
    "station_areas",
]

from hotline.audit import AuditEntry  # noqa: E402

__all__ += ["AuditEntry"]

import hotline.reports.models  # noqa: E402, F401  (indexes the figures need)
from hotline.cases.models import (  # noqa: E402
    CaseEvent,
    CaseNote,
    FollowUp,
    IntakeDraft,
    IntakeVersion,
    ReturnCall,
)

__all__ += ["CaseEvent", "CaseNote", "FollowUp", "IntakeDraft", "IntakeVersion", "ReturnCall"]

from hotline.rota.models import (  # noqa: E402
    CalendarDay,
    CalendarYear,
    DraftRequest,
    FeedToken,
    LeaveRequest,
    RotaMark,
    RotaNotice,
    RotaPreference,
    RotaVersion,
    ShiftPattern,
    ShiftPatternSlot,
    SwapRequest,
    WorkerProfile,
)

__all__ += [
    "CalendarDay",
    "CalendarYear",
    "DraftRequest",
    "FeedToken",
    "LeaveRequest",
    "RotaMark",
    "RotaNotice",
    "RotaPreference",
    "RotaVersion",
    "ShiftPattern",
    "ShiftPatternSlot",
    "SwapRequest",
    "WorkerProfile",
]

from hotline.routing.models import CallLeg, CallTransfer, Offer, RoutingEntry, WorkerPresence  # noqa: E402

__all__ += ["CallLeg", "CallTransfer", "Offer", "RoutingEntry", "WorkerPresence"]
__all__ += [
    "Escalation",
    "EscalationPolicy",
    "NotificationAttempt",
    "PolicyStep",
    "ReferralStep",
    "ResponderReplyCode",
    "SmsReply",
]

from hotline.knowledge.models import (  # noqa: E402
    Article,
    ArticleUse,
    ArticleVersion,
    SynonymGroup,
    UnansweredQuestion,
)

__all__ += ["Article", "ArticleUse", "ArticleVersion", "SynonymGroup", "UnansweredQuestion"]

from hotline.callbacks.models import CallbackAttempt, CallbackEvent, CallbackTask  # noqa: E402

__all__ += ["CallbackAttempt", "CallbackEvent", "CallbackTask"]
