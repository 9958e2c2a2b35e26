"""Areas, stations, expert volunteers and organisations: the referral network."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.clock import utcnow
from hotline.db import Base, code, e164, intpk, short_text
from hotline.privacy import EncryptedString

station_areas = Table(
    "station_areas",
    Base.metadata,
    Column("station_id", ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Area(Base):
    """A division: district, street/township or community, with its official code."""

    __tablename__ = "areas"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[short_text]
    level: Mapped[code]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    invented: Mapped[bool] = mapped_column(Boolean, default=False)
    """True for demo communities that are not in the official list."""

    parent: Mapped[Area | None] = relationship(remote_side="Area.id", back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent", order_by="Area.code")

    def lineage(self) -> list[Area]:
        """Return this area and its ancestors, nearest first."""
        chain: list[Area] = []
        node: Area | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Station(Base):
    """A social-work station: district centre, street/township station or community room."""

    __tablename__ = "stations"

    id: Mapped[intpk]
    name: Mapped[short_text]
    tier: Mapped[code] = mapped_column(index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    duty_contact_name: Mapped[str | None] = mapped_column(EncryptedString(name=True))
    duty_contact_phone: Mapped[str | None] = mapped_column(EncryptedString())
    notify_channels: Mapped[list[str]] = mapped_column(default=list)
    """Channels in order of preference (sms, wecom, dingtalk, feishu, voice); empty: what the urgency picks."""
    webhook_url: Mapped[str | None] = mapped_column(EncryptedString())
    """The group chat robot's webhook URL (encrypted: a WeCom URL's key is its secret)."""
    robot_kind: Mapped[str | None] = mapped_column(String(20))
    """wecom, dingtalk, feishu, or webhook (another URL that takes WeCom's text shape)."""
    robot_secret: Mapped[str | None] = mapped_column(EncryptedString())
    """The DingTalk or Feishu robot's signing secret."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    area: Mapped[Area | None] = relationship()
    parent: Mapped[Station | None] = relationship(remote_side="Station.id")
    areas_covered: Mapped[list[Area]] = relationship(secondary=station_areas, order_by="Area.code")


class ExpertVolunteer(Base):
    """A lawyer, psychologist, professor, doctor… who takes duty days and referrals."""

    __tablename__ = "expert_volunteers"

    id: Mapped[intpk]
    name: Mapped[short_text]
    profession: Mapped[short_text]
    organisation: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    email: Mapped[str | None] = mapped_column(EncryptedString())
    skills: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    duty_weekdays: Mapped[list[int]] = mapped_column(default=list)
    """ISO weekdays (1 = Monday) the expert takes hotline duty."""
    duty_start: Mapped[time | None] = mapped_column(Time)
    duty_end: Mapped[time | None] = mapped_column(Time)
    max_open_referrals: Mapped[int] = mapped_column(Integer, default=3)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    notes: Mapped[str | None] = mapped_column(EncryptedString())
    notify_channels: Mapped[list[str]] = mapped_column(default=list)
    """Channels in order of preference (sms, wecom, dingtalk, feishu, voice); empty: what the urgency picks."""
    webhook_url: Mapped[str | None] = mapped_column(EncryptedString())
    """The group chat robot's webhook URL (encrypted: a WeCom URL's key is its secret)."""
    robot_kind: Mapped[str | None] = mapped_column(String(20))
    """wecom, dingtalk, feishu, or webhook (another URL that takes WeCom's text shape)."""
    robot_secret: Mapped[str | None] = mapped_column(EncryptedString())
    """The DingTalk or Feishu robot's signing secret."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)


volunteer_areas = Table(
    "volunteer_areas",
    Base.metadata,
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Volunteer(Base):
    """An ordinary community volunteer of the register: skills, the areas served, when available."""

    __tablename__ = "volunteers"

    id: Mapped[intpk]
    name: Mapped[short_text]
    phone: Mapped[str | None] = mapped_column(EncryptedString())
    skills: Mapped[list[str]] = mapped_column(default=list)
    """VolunteerSkill values."""
    available_weekdays: Mapped[list[int]] = mapped_column(default=list)
    """ISO weekdays (1 = Monday) the volunteer can take orders; empty: any day."""
    available_from: Mapped[time | None] = mapped_column(Time)
    available_until: Mapped[time | None] = mapped_column(Time)
    notes: Mapped[str | None] = mapped_column(EncryptedString())
    notify_channels: Mapped[list[str]] = mapped_column(default=list)
    """Channels in order of preference (sms, wecom, dingtalk, feishu, voice); empty: what the urgency picks."""
    webhook_url: Mapped[str | None] = mapped_column(EncryptedString())
    """A group chat robot's webhook URL (a volunteer group's robot), encrypted."""
    robot_kind: Mapped[str | None] = mapped_column(String(20))
    robot_secret: Mapped[str | None] = mapped_column(EncryptedString())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    areas: Mapped[list[Area]] = relationship(secondary=volunteer_areas, order_by="Area.code")


class Organisation(Base):
    """A party of the referral network: a community, social organisation, charity resource or volunteer team."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[intpk]
    name: Mapped[short_text]
    kind: Mapped[code] = mapped_column(default="social_organisation", server_default="social_organisation", index=True)
    """An OrganisationKind value: community, social_organisation, charity_resource or volunteer_team."""
    description: Mapped[str | None] = mapped_column(Text)
    services: Mapped[list[str]] = mapped_column(default=list)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(EncryptedString(name=True))
    phone: Mapped[e164 | None]
    email: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(300))
    notify_channels: Mapped[list[str]] = mapped_column(default=list)
    """Channels in order of preference (sms, wecom, dingtalk, feishu, voice); empty: what the urgency picks."""
    webhook_url: Mapped[str | None] = mapped_column(EncryptedString())
    """The group chat robot's webhook URL (encrypted: a WeCom URL's key is its secret)."""
    robot_kind: Mapped[str | None] = mapped_column(String(20))
    """wecom, dingtalk, feishu, or webhook (another URL that takes WeCom's text shape)."""
    robot_secret: Mapped[str | None] = mapped_column(EncryptedString())
    """The DingTalk or Feishu robot's signing secret."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area | None] = relationship()


Index("ix_stations_tier_active", Station.tier, Station.active)


class DirectoryTestCall(Base):
    """A manager's test call to a directory entry's number, and what became of it (from the line's status)."""

    __tablename__ = "directory_test_calls"

    id: Mapped[intpk]
    target: Mapped[str] = mapped_column(String(60), index=True)
    """The entry called ("stations:4")."""
    to: Mapped[str] = mapped_column(EncryptedString())
    status: Mapped[code] = mapped_column(default="calling")
    """calling, ringing, in_progress (answered, the message playing), answered, no_answer, busy, failed, uncertain."""
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(String(300))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
