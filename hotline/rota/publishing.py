"""Publishing the draft: a version with who, when and what changed; each worker told of their changes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import audit, push
from hotline.accounts.models import User
from hotline.clock import hotline_zone
from hotline.rota.exceptions import PublishBlocked
from hotline.rota.models import DRAFT, PUBLISHED, DraftAssignment, RotaNotice, RotaVersion, Shift, ShiftAssignment
from hotline.rota.notices import add_notice, announce
from hotline.rota.services import shifts_between
from hotline.rota.validation import hard_errors, validate


def duty_label(duty: str) -> str:
    """Return a duty's name in the current language."""
    names = {"duty_worker": _("Duty worker"), "supervisor": _("Supervisor on call"), "expert": _("Expert duty")}
    return names.get(duty, duty)


def change_row(shift: Shift, assignment: ShiftAssignment | DraftAssignment, change: str) -> dict[str, Any]:
    """Describe one added or removed duty for the version's record."""
    return {
        "shift_id": shift.id,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "label": shift.label,
        "duty": assignment.duty,
        "user_id": assignment.user_id,
        "expert_id": assignment.expert_id,
        "skill": assignment.skill,
        "name": assignment.person_name,
        "change": change,
    }


def sync_layers(shift: Shift) -> list[dict[str, Any]]:
    """Make the shift's published layer equal its draft layer; return what changed."""
    draft = {a.key: a for a in shift.layer(DRAFT)}
    published = {a.key: a for a in shift.layer(PUBLISHED)}
    changes = []
    for key, assignment in published.items():
        if key not in draft:
            changes.append(change_row(shift, assignment, "removed"))
            shift.assignments.remove(assignment)
    for key, assignment in draft.items():
        if key not in published:
            changes.append(change_row(shift, assignment, "added"))
            shift.assignments.append(
                ShiftAssignment(
                    duty=assignment.duty,
                    user=assignment.user,
                    expert=assignment.expert,
                    skill=assignment.skill,
                )
            )
    return changes


def publish(
    session: Session,
    date_from: date,
    date_to: date,
    actor: User,
    now: datetime,
    override_reason: str | None = None,
) -> RotaVersion | None:
    """Publish the draft of date_from..date_to (shifts not yet over); commit; notify; return the version.

    Returns None when nothing changed.

    Raises:
        PublishBlocked: the draft has hard errors and no override reason was given.
    """
    shifts = [shift for shift in shifts_between(session, date_from, date_to) if shift.ends_at > now]
    live = {shift.id for shift in shifts}
    errors = [issue.as_dict() for issue in hard_errors(validate(session, date_from, date_to)) if issue.shift_id in live]
    reason = (override_reason or "").strip()
    if errors and not reason:
        raise PublishBlocked(errors)
    changes: list[dict[str, Any]] = []
    newly_published = 0
    for shift in shifts:
        if shift.status != PUBLISHED:
            shift.status = PUBLISHED
            newly_published += 1
        changes += sync_layers(shift)
    if not changes and not newly_published:
        session.rollback()
        return None
    version = record_version(session, "publish", date_from, date_to, actor, now, changes, errors, reason)
    notices = notify_changes(session, changes, version)
    session.commit()
    announce(notices)
    push.rota_changed({"event": "published", "version": version.id})
    return version


def record_version(
    session: Session,
    kind: str,
    date_from: date,
    date_to: date,
    actor: User | None,
    now: datetime,
    changes: list[dict[str, Any]],
    errors: list[dict[str, Any]] | None = None,
    reason: str | None = None,
) -> RotaVersion:
    """Add a version row and its audit entry (the caller commits)."""
    version = RotaVersion(
        kind=kind,
        published_by_id=actor.id if actor else None,
        published_at=now,
        date_from=date_from,
        date_to=date_to,
        overridden=bool(errors),
        override_reason=reason or None,
        errors=errors or [],
        changes=changes,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        f"rota.{kind}",
        actor_id=actor.id if actor else None,
        target=f"rota_version:{version.id}",
        detail={
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "changes": len(changes),
            "overridden_errors": len(errors or []),
            "override_reason": reason or None,
        },
    )
    return version


def notify_changes(session: Session, changes: list[dict[str, Any]], version: RotaVersion) -> list[RotaNotice | None]:
    """Add one notice per worker whose own shifts changed, in their language."""
    by_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        if change["user_id"] is not None:
            by_user[change["user_id"]].append(change)
    notices = []
    zone = hotline_zone()
    for user_id, own in sorted(by_user.items()):
        user = session.get(User, user_id)
        if user is None or not user.active:
            continue
        with force_locale(user.locale or "zh"):
            lines = []
            for change in sorted(own, key=lambda c: c["starts_at"]):
                when = datetime.fromisoformat(change["starts_at"]).astimezone(zone)
                until = datetime.fromisoformat(change["ends_at"]).astimezone(zone)
                text = f"{when:%m-%d %H:%M}-{until:%H:%M} {change['label']} {duty_label(change['duty'])}"
                if change["change"] == "added":
                    lines.append(_("added: %(shift)s", shift=text))
                else:
                    lines.append(_("removed: %(shift)s", shift=text))
            body = _("Your rota has changed: %(changes)s", changes="; ".join(lines))
        notices.append(add_notice(session, user, "rota_changed", body, {"version": version.id, "changes": own}))
    return notices


def versions(session: Session, limit: int = 20) -> list[RotaVersion]:
    """Return the latest versions, newest first."""
    return list(session.scalars(select(RotaVersion).order_by(RotaVersion.id.desc()).limit(limit)))


def published_before_any_version(session: Session) -> bool:
    """Return whether shifts are published although no version was recorded (the demo seed, an import)."""
    if session.scalar(select(RotaVersion.id).limit(1)) is not None:
        return False
    return session.scalar(select(Shift.id).where(Shift.status == PUBLISHED).limit(1)) is not None


def version_count(session: Session) -> int:
    """Return how many versions exist."""
    return session.scalar(select(func.count(RotaVersion.id))) or 0
