"""Personal data never reaches the log, not even through an error."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from hotline import web
from hotline.accounts.models import User
from hotline.cases.models import Case
from hotline.request_log import JsonFormatter
from tests.conftest import csrf_token, log_in

NOTE = "Caller Zhang Wei of 88 Jiefang Road said 138.0013.8000 is his daughter's number 家住解放路88号"
FRAGMENTS = ("Zhang Wei", "Jiefang", "138.0013", "0013.8000", "解放路", "daughter")


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture what the hotline's loggers write (they do not propagate to the root)."""
    logger = logging.getLogger("hotline")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def written(caplog: pytest.LogCaptureFixture) -> str:
    """Return the log as the capture shows it and as the JSON log file would hold it."""
    return caplog.text + "\n".join(JsonFormatter().format(record) for record in caplog.records)


def test_a_nul_byte_in_a_note_keeps_the_note_out_of_the_log(
    client: Any, db_session: Any, make_user: Any, logged: pytest.LogCaptureFixture
) -> None:
    case = Case(reference="HL-LOG-1")
    db_session.add(case)
    db_session.commit()
    log_in(client, make_user("supervisor"))
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/notes", data={"body": NOTE + "\x00", "csrf_token": token})
    assert response.status_code == 400
    log = written(logged)
    assert log and not [fragment for fragment in FRAGMENTS if fragment in log]


def test_an_unexpected_database_error_logs_its_shape_never_its_values(
    app: Flask, db_session: Any, logged: pytest.LogCaptureFixture
) -> None:
    name = NOTE[:60]
    db_session.add(User(username=name, display_name="a", password_hash="x", role="worker"))
    db_session.commit()
    db_session.add(User(username=name, display_name="b", password_hash="x", role="worker"))
    with pytest.raises(IntegrityError) as raised, app.test_request_context("/cases/1/notes", method="POST"):
        try:
            db_session.flush()
        except IntegrityError as error:
            assert web.server_error(error)[1] == 500
            raise
    log = written(logged)
    assert "IntegrityError" in log and "INSERT INTO users" in log
    assert not [fragment for fragment in FRAGMENTS if fragment in log]
    assert "hidden due to hide_parameters" in str(raised.value)
    stack = json.loads(JsonFormatter().format(logged.records[-1]))["stack"]
    assert "Traceback" in stack and "Zhang" not in stack
