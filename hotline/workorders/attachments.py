"""Photos and documents a unit attaches to an order: type-checked by their bytes, size-limited, encrypted.

The file is read whole, checked, and stored in one transaction with its event;
a refused file leaves nothing behind. The bytes are kept base64 in an encrypted
column of `work_order_attachments`, with the case.
"""

from __future__ import annotations

import base64
from datetime import datetime

from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.workorders.exceptions import UploadRefused
from hotline.workorders.models import WorkOrder, WorkOrderAttachment
from hotline.workorders.services import check_actor, get_order, log, start_handling

MAX_BYTES = 5 * 1024 * 1024
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
ALLOWED = "JPEG, PNG, PDF"


def sniff(content: bytes) -> str | None:
    """Return the type the file's first bytes show (JPEG, PNG, PDF), else None; the name's suffix is not trusted."""
    for magic, content_type in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return None


def clean_filename(name: str | None, content_type: str) -> str:
    """Return a short display name without any folder part."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:120]
    return base or {"image/jpeg": "photo.jpg", "image/png": "photo.png"}.get(content_type, "document.pdf")


def attach(
    session: Session,
    order_id: int,
    filename: str | None,
    content: bytes,
    *,
    actor: User | None,
    now: datetime,
    via: str = "page",
    referral_id: int | None = None,
) -> WorkOrderAttachment:
    """Attach a photo or document to an order being handled; the order is now in progress.

    Raises:
        OrderNotFound, NotYourOrder, WrongState, UploadRefused (empty, too large, or not JPEG/PNG/PDF).
    """
    order = get_order(session, order_id)
    check_actor(session, order, actor, referral_id)
    if not content:
        raise UploadRefused("empty")
    if len(content) > MAX_BYTES:
        raise UploadRefused("too large")
    content_type = sniff(content)
    if content_type is None:
        raise UploadRefused("type")
    actor_id = actor.id if actor else None
    start_handling(session, order, now, actor_id, via)
    attachment = WorkOrderAttachment(
        order_id=order.id,
        case_id=order.case_id,
        filename=clean_filename(filename, content_type),
        content_type=content_type,
        size=len(content),
        content=base64.b64encode(content).decode(),
        uploaded_by_id=actor_id,
        uploaded_at=now,
    )
    session.add(attachment)
    session.flush()
    log(
        session,
        order,
        "attachment",
        now,
        actor_id=actor_id,
        via=via,
        attachment=attachment.id,
        filename=attachment.filename,
    )
    session.commit()
    return attachment


def read(session: Session, order: WorkOrder, attachment_id: int) -> tuple[WorkOrderAttachment, bytes] | None:
    """Return an attachment of the order and its bytes, or None."""
    attachment = session.get(WorkOrderAttachment, attachment_id)
    if attachment is None or attachment.order_id != order.id:
        return None
    return attachment, base64.b64decode(attachment.content)
