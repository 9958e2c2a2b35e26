"""Directory exports, imports and edits are in the audit log (the exports hold staff phone numbers)."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from hotline.audit import AuditEntry
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import network  # noqa: F401


def actions(db_session: Any) -> list[tuple[str, str | None]]:
    """Return the directory entries of the audit log, oldest first."""
    rows = db_session.scalars(select(AuditEntry).where(AuditEntry.action.like("directory.%")).order_by(AuditEntry.id))
    return [(row.action, row.target) for row in rows]


def test_exports_imports_and_edits_are_audited(client: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.manager)
    assert client.get("/directory/stations/export.csv").status_code == 200
    assert client.get("/directory/hsds/export.zip").status_code == 200
    token = csrf_token(client, "/directory/stations/new")
    created = client.post(
        "/directory/stations/new",
        data={"name": "审计站", "tier": "station", "phone": "022 2924 1000", "active": "y", "csrf_token": token},
    )
    assert created.status_code == 302
    exported = client.get("/directory/experts/export.csv").get_data(as_text=True)
    upload = {"file": (io.BytesIO(exported.encode("utf-8")), "experts.csv"), "csrf_token": token}
    client.post("/directory/experts/import", data=upload, content_type="multipart/form-data")
    found = actions(db_session)
    assert found[:2] == [("directory.export", "directory:stations"), ("directory.export", "directory:hsds")]
    assert found[2][0] == "directory.create" and found[2][1].startswith("stations:")
    assert found[3:] == [("directory.export", "directory:experts"), ("directory.import", "directory:experts")]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "directory.create"))
    assert entry.actor_id == network.manager.id and "name" in entry.detail["fields"]
