"""Migration 1300_001 encrypts the personal text already in the database, and its downgrade decrypts it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from hotline.audit import AuditEntry
from hotline.cases.models import Case, CaseNote, IntakeVersion
from hotline.directory.models import Station
from hotline.extensions import db
from tests.conftest import truncate_all

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
MARKERS = ("marker-M1", "marker-M2", "marker-M3", "marker-M4", "13900007777", "marker-M5")


def raw_rows() -> str:
    """Return the raw text of the rows the test wrote."""
    tables = ("audit_log", "cases", "case_notes", "stations", "intake_versions")
    with db.engine.connect() as connection:
        return "\n".join(
            repr(tuple(row)) for table in tables for row in connection.execute(text(f"SELECT * FROM {table}"))
        )


def test_the_migration_encrypts_rows_already_there_and_the_downgrade_restores_them(app: Flask) -> None:
    with app.app_context():
        try:
            db.session.remove()
            db.engine.dispose()  # no pooled connection may hold a transaction while SQLite alters tables
            downgrade(revision="1100_001")
            flags = {"at": AT, "no": False, "yes": True}
            with db.engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO audit_log (at, action, detail) VALUES (:at, 'case.break_glass', :detail)"),
                    {**flags, "detail": '{"reason": "母亲来电 marker-M1"}'},
                )
                connection.execute(
                    text(
                        "INSERT INTO cases (reference, status, services, target_groups, risk, consent_callback,"
                        " consent_share, created_at, updated_at, summary, actions_taken) VALUES ('HL-MIG-1', 'open',"
                        " '[]', '[]', 'none', :no, :no, :at, :at, 'summary marker-M2', NULL)"
                    ),
                    flags,
                )
                case_id = connection.execute(text("SELECT id FROM cases WHERE reference = 'HL-MIG-1'")).scalar()
                connection.execute(
                    text("INSERT INTO case_notes (case_id, body, created_at) VALUES (:case, 'note marker-M3', :at)"),
                    {**flags, "case": case_id},
                )
                connection.execute(
                    text(
                        "INSERT INTO stations (name, tier, duty_contact_name, duty_contact_phone, notify_channels,"
                        " active) VALUES ('站', 'station', 'marker-M4', '+8613900007777', '[]', :yes)"
                    ),
                    flags,
                )
                connection.execute(
                    text(
                        "INSERT INTO intake_versions (case_id, number, call_type, risk, data, current, created_at)"
                        " VALUES (:case, 1, 'content', 'none', '{\"summary\": \"marker-M5\"}', :yes, :at)"
                    ),
                    {**flags, "case": case_id},
                )
            assert all(marker in raw_rows() for marker in MARKERS)
            upgrade(revision="heads")
            raw = raw_rows()
            assert [marker for marker in MARKERS if marker in raw] == []
            session = db.session
            assert session.scalar(select(Case.summary).where(Case.id == case_id)) == "summary marker-M2"
            assert session.scalar(select(CaseNote.body).where(CaseNote.case_id == case_id)) == "note marker-M3"
            station = session.scalar(select(Station).where(Station.name == "站"))
            assert (station.duty_contact_name, station.duty_contact_phone) == ("marker-M4", "+8613900007777")
            assert session.scalar(select(IntakeVersion.data).where(IntakeVersion.case_id == case_id)) == {
                "summary": "marker-M5"
            }
            assert {"reason": "母亲来电 marker-M1"} in session.scalars(select(AuditEntry.detail)).all()
            session.remove()
            downgrade(revision="1100_001")
            assert all(marker in raw_rows() for marker in MARKERS)
        finally:
            db.session.remove()
            upgrade(revision="heads")
            truncate_all(app)


def test_migration_1610_encrypts_and_hashes_the_knowledge_questions_already_there(app: Flask) -> None:
    from hotline.knowledge.models import UnansweredQuestion
    from hotline.privacy import cipher

    question = "房子被收走怎么办 marker-K1"
    with app.app_context():
        try:
            db.session.remove()
            db.engine.dispose()
            downgrade(revision="1640_001")
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO users (username, display_name, password_hash, role, skills, languages, active,"
                        " created_at) VALUES ('mig-worker', 'w', 'x', 'worker', '[]', '[]', :yes, :at)"
                    ),
                    {"yes": True, "at": AT},
                )
                worker = connection.execute(text("SELECT id FROM users WHERE username = 'mig-worker'")).scalar()
                connection.execute(
                    text("INSERT INTO knowledge_gaps (question, worker_id, asked_at) VALUES (:q, :w, :at)"),
                    {"q": question, "w": worker, "at": AT},
                )
            with db.engine.connect() as connection:
                assert "marker-K1" in str(connection.execute(text("SELECT question FROM knowledge_gaps")).all())
            upgrade(revision="heads")
            with db.engine.connect() as connection:
                raw = connection.execute(text("SELECT question, question_hash FROM knowledge_gaps")).one()
            assert "marker-K1" not in raw[0] and raw[1] == cipher().lookup_hash(question)
            assert db.session.scalar(select(UnansweredQuestion.question)) == question
            db.session.remove()
            downgrade(revision="1640_001")
            with db.engine.connect() as connection:
                assert connection.execute(text("SELECT question FROM knowledge_gaps")).scalar() == question
        finally:
            db.session.remove()
            upgrade(revision="heads")
            truncate_all(app)
