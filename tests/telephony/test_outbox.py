"""The outbox: commands sent once, idempotent ones retried, creates never resent blindly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.telephony.models import TelephonyCommand
from hotline.telephony.outbox import process_command, queue_command, retry_commands
from hotline.telephony.providers import RecordingProvider, TelephonyError

NOW = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


class FlakyProvider(RecordingProvider):
    """Fails the first `failures` requests with the given error, then works (a network that comes back)."""

    def __init__(self, failures: int, error: TelephonyError) -> None:
        super().__init__()
        self.failures = failures
        self.error = error

    def _maybe_fail(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise self.error

    def redirect_call(self, call_sid: str, url: str) -> None:
        self._maybe_fail()
        super().redirect_call(call_sid, url)

    def send_sms(self, to: str, body: str, status_callback: str | None = None) -> str:
        self._maybe_fail()
        return super().send_sms(to, body, status_callback)


def command(db_session: Any, kind: str, **payload: Any) -> int:
    command_id = queue_command(db_session, kind, NOW, call_sid="CA-o1", **payload)
    db_session.commit()
    return command_id


def test_a_command_is_sent_once(db_session: Any) -> None:
    command_id = command(db_session, "send_sms", to="+8613800000001", body="hi")
    provider = RecordingProvider()
    assert process_command(db_session, command_id, provider, NOW) == "done"
    assert process_command(db_session, command_id, provider, NOW) is None
    assert len(provider.messages) == 1
    assert db_session.get(TelephonyCommand, command_id).result == provider.messages[0]["sid"]


def test_a_failed_redirect_is_retried_by_the_scheduler(db_session: Any) -> None:
    command_id = command(db_session, "redirect_call", url="https://h/connect")
    provider = FlakyProvider(1, TelephonyError("Twilio 503", retryable=True, maybe_done=True))
    assert process_command(db_session, command_id, provider, NOW) == "pending"
    assert retry_commands(db_session, provider, NOW) == 0  # not due yet
    assert retry_commands(db_session, provider, NOW + timedelta(seconds=10)) == 1
    assert db_session.get(TelephonyCommand, command_id).status == "done"
    assert provider.redirects == [("CA-o1", "https://h/connect")]


def test_an_sms_that_may_have_gone_is_not_resent(db_session: Any) -> None:
    command_id = command(db_session, "send_sms", to="+8613800000001", body="hi")
    provider = FlakyProvider(1, TelephonyError("timeout", retryable=True, maybe_done=True))
    assert process_command(db_session, command_id, provider, NOW) == "uncertain"
    assert retry_commands(db_session, provider, NOW + timedelta(hours=1)) == 0
    assert provider.messages == []


def test_an_sms_that_never_left_is_retried(db_session: Any) -> None:
    command_id = command(db_session, "send_sms", to="+8613800000001", body="hi")
    provider = FlakyProvider(1, TelephonyError("connection refused", retryable=True))
    assert process_command(db_session, command_id, provider, NOW) == "pending"
    retry_commands(db_session, provider, NOW + timedelta(seconds=10))
    assert len(provider.messages) == 1


def test_a_client_error_is_not_retried(db_session: Any) -> None:
    command_id = command(db_session, "redirect_call", url="https://h/connect")
    provider = FlakyProvider(1, TelephonyError("Twilio 400: not in progress"))
    assert process_command(db_session, command_id, provider, NOW) == "failed"


def test_an_interrupted_send_is_settled(db_session: Any) -> None:
    redirect_id = command(db_session, "redirect_call", url="https://h/connect")
    sms_id = command(db_session, "send_sms", to="+8613800000001", body="hi")
    for command_id in (redirect_id, sms_id):
        db_session.get(TelephonyCommand, command_id).status = "sending"
    db_session.commit()
    provider = RecordingProvider()
    retry_commands(db_session, provider, NOW + timedelta(minutes=5))
    assert db_session.get(TelephonyCommand, redirect_id).status == "done"
    assert db_session.get(TelephonyCommand, sms_id).status == "uncertain" and provider.messages == []
