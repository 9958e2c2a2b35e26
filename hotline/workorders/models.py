"""Work orders (工单): a referral to a station or organisation followed until the caller is called back.

A `WorkOrder` is opened from a station or organisation referral of an escalation
(one order per escalation). It carries the sign-for and handling deadlines set
by the urgency table, the unit it is with now, and flags for supervision. Every
change appends a `WorkOrderEvent` (never updated, never deleted) and a
`work_order` event on the case's timeline. `StationMember` gives a `station`
account its unit; `WorkOrderAttachment` holds a photo or document, encrypted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.cases.models import Case
from hotline.clock import utcnow
from hotline.db import Base, code, intpk, short_text
from hotline.privacy import EncryptedJSON, EncryptedString


class OrderState(StrEnum):
    """Where a work order stands."""

    DISPATCHED = "dispatched"
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURN_CALL = "return_call"
    RETURNED = "returned"
    CLOSED = "closed"


OPEN_STATES = (
    OrderState.DISPATCHED.value,
    OrderState.SIGNED.value,
    OrderState.IN_PROGRESS.value,
    OrderState.RETURNED.value,
)
"""States in which the order is still with a unit or the supervisor (the handling clock runs)."""

WITH_UNIT = (OrderState.DISPATCHED.value, OrderState.SIGNED.value, OrderState.IN_PROGRESS.value)
"""States in which a unit's member may act on the order."""


class ExtensionState(StrEnum):
    """A request for more time to handle the order."""

    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


STATE_LABELS: dict[str, Any] = {
    OrderState.DISPATCHED: _l("Dispatched"),
    OrderState.SIGNED: _l("Signed for"),
    OrderState.IN_PROGRESS: _l("In progress"),
    OrderState.SUBMITTED: _l("Result submitted"),
    OrderState.RETURN_CALL: _l("Return call due"),
    OrderState.RETURNED: _l("Returned"),
    OrderState.CLOSED: _l("Closed"),
    ExtensionState.REQUESTED: _l("Extension requested"),
    ExtensionState.GRANTED: _l("Extension granted"),
    ExtensionState.REFUSED: _l("Extension refused"),
}

EVENT_LABELS: dict[str, Any] = {
    "dispatched": _l("Dispatched"),
    "redispatched": _l("Re-dispatched"),
    "signed": _l("Signed for"),
    "started": _l("Handling started"),
    "note": _l("Note"),
    "attachment": _l("Attachment added"),
    "extension_requested": _l("Extension requested"),
    "extension_granted": _l("Extension granted"),
    "extension_refused": _l("Extension refused"),
    "returned": _l("Returned"),
    "taken_back": _l("Taken back by the hotline"),
    "result_submitted": _l("Result submitted"),
    "return_call_due": _l("Return call due"),
    "verdict": _l("Return call made"),
    "reopened": _l("Reopened"),
    "closed": _l("Closed"),
    "sign_overdue": _l("Sign-for limit passed"),
    "handle_overdue": _l("Handling limit passed"),
    "centre_told": _l("District centre told"),
    "supervised": _l("Supervised"),
    "merged": _l("Duplicate report merged"),
}


def state_label(value: str | None) -> str:
    """Return the UI label of a state or an extension state."""
    return str(STATE_LABELS.get(value, value or ""))


def event_label(kind: str | None) -> str:
    """Return the UI label of an event kind."""
    return str(EVENT_LABELS.get(kind, kind or ""))


class WorkOrder(Base):
    """One matter sent to a unit (station or organisation) with its deadlines and state."""

    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_state_sign_due_at", "state", "sign_due_at"),
        Index("ix_work_orders_state_handle_due_at", "state", "handle_due_at"),
    )

    id: Mapped[intpk]
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), unique=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    """The referral the order answers now (a re-dispatch by the chain moves it)."""
    state: Mapped[code] = mapped_column(default=OrderState.DISPATCHED.value)
    urgency: Mapped[code] = mapped_column(default="normal")
    reason: Mapped[code] = mapped_column(default="other")
    request_text: Mapped[str | None] = mapped_column(EncryptedString())
    """What is asked of the unit, as the caller consented it be shared."""
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """An ordinary volunteer of the register (no foreign key: the register may come later)."""
    unit_name: Mapped[short_text] = mapped_column(default="")
    dispatched_at: Mapped[datetime] = mapped_column(default=utcnow)
    sign_due_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handle_due_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(EncryptedString())
    extension_state: Mapped[str | None] = mapped_column(String(20))
    extension_until: Mapped[datetime | None]
    extension_reason: Mapped[str | None] = mapped_column(EncryptedString())
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    reopens: Mapped[int] = mapped_column(Integer, default=0)
    sign_overdue_at: Mapped[datetime | None]
    handle_overdue_at: Mapped[datetime | None]
    centre_told_at: Mapped[datetime | None]
    supervised_at: Mapped[datetime | None]
    supervised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    supervision_note: Mapped[str | None] = mapped_column(EncryptedString())
    return_call_id: Mapped[int | None] = mapped_column(Integer)
    """The hotline's return-call task (a follow-up of the case) created when the result came in."""
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    signed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    completed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    """The open order this duplicate report was merged into (the duplicate is then closed)."""

    case: Mapped[Case | None] = relationship()
    events: Mapped[list[WorkOrderEvent]] = relationship(back_populates="order", order_by="WorkOrderEvent.id")
    attachments: Mapped[list[WorkOrderAttachment]] = relationship(
        back_populates="order", order_by="WorkOrderAttachment.id"
    )

    @property
    def unit_key(self) -> tuple[str, int] | None:
        """Return ("station", id), ("organisation", id) or ("volunteer", id): whom the order is with."""
        if self.station_id is not None:
            return ("station", self.station_id)
        if self.organisation_id is not None:
            return ("organisation", self.organisation_id)
        if self.volunteer_id is not None:
            return ("volunteer", self.volunteer_id)
        return None

    def deadline(self) -> datetime | None:
        """Return the deadline that counts now: sign-for before signing, then handling (extended if granted)."""
        if self.state == OrderState.DISPATCHED:
            return self.sign_due_at
        if self.state in (OrderState.SIGNED, OrderState.IN_PROGRESS):
            return self.handle_due_at
        return None


class WorkOrderEvent(Base):
    """One change of a work order; never updated, never deleted."""

    __tablename__ = "work_order_events"
    __table_args__ = (UniqueConstraint("order_id", "dedupe_key"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[code]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(20), default="page")
    """page, link, board, scheduler or chain."""
    state: Mapped[code]
    """The order's state after the change."""
    dedupe_key: Mapped[str | None] = mapped_column(String(60))
    """Set on the scheduler's acts ("sign_overdue"): the database refuses the same act twice."""
    detail: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    """Notes, reasons, units: encrypted, as notes may name people."""

    order: Mapped[WorkOrder] = relationship(back_populates="events")


class WorkOrderAttachment(Base):
    """A photo or document a unit attached to an order, stored encrypted with the case."""

    __tablename__ = "work_order_attachments"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    filename: Mapped[str] = mapped_column(EncryptedString())
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(EncryptedString())
    """The file's bytes, base64, encrypted with the field cipher."""
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[WorkOrder] = relationship(back_populates="attachments")


class StationMember(Base):
    """A `station` account's unit: the station (or organisation) whose orders it may handle."""

    __tablename__ = "station_members"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def unit_key(self) -> tuple[str, int] | None:
        """Return ("station", id) or ("organisation", id)."""
        if self.station_id is not None:
            return ("station", self.station_id)
        if self.organisation_id is not None:
            return ("organisation", self.organisation_id)
        return None
