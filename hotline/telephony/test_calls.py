"""A manager's test call from the directory page: the line rings the entry's number and plays a short message.

It goes through the telephony provider like every outgoing call, so it works on
the simulator, the gateway and Twilio alike. The row is committed before the
line is asked (a call is placed at most once: a refusal that may have reached
the network is recorded `uncertain`, never redialled); the line's status
callbacks then say answered, no answer, busy or failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline.directory import test_calls
from hotline.telephony.providers import TelephonyError, TelephonyProvider
from hotline.telephony.urls import public_url

P_TEST_CALL = "/twilio/directory/test-calls/{id}"
P_TEST_CALL_STATUS = "/twilio/directory/test-calls/{id}/status"


def place_test_call(
    session: Session, provider: TelephonyProvider, entry: Any, now: datetime, actor_id: int | None
) -> int:
    """Ring the entry's number through the line and play the test message; return the test call's id.

    Raises:
        NoPhone: the entry has no number to call.
    """
    test_call = test_calls.start(session, entry, now, actor_id)
    test_call_id, to = test_call.id, test_call.to
    session.commit()  # before the request: on SQLite an open transaction would block the call's own webhooks
    try:
        call_sid = provider.place_call(
            to,
            public_url(P_TEST_CALL.format(id=test_call_id)),
            public_url(P_TEST_CALL_STATUS.format(id=test_call_id)),
        )
    except TelephonyError as exc:
        test_calls.refused(session, test_call_id, str(exc) or type(exc).__name__, uncertain=exc.maybe_done, now=now)
    else:
        test_calls.placed(session, test_call_id, call_sid, now)
    return test_call_id
