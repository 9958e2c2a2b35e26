"""Domain signals: one package announces, another reacts, neither imports the other's internals.

Senders call `signal.send(current_app._get_current_object(), **data)` after the data
they announce is committed. Receivers connect in their package's init_app.
"""

from typing import Any

from blinker import Namespace

hotline_signals = Namespace()

call_created = hotline_signals.signal("call-created")
"""A call record was created. kwargs: call_id."""

call_queued = hotline_signals.signal("call-queued")
"""A call entered the queue (or re-entered it). kwargs: call_id."""

call_ended = hotline_signals.signal("call-ended")
"""A call reached its final outcome. kwargs: call_id, outcome."""

callback_needed = hotline_signals.signal("callback-needed")
"""A caller needs calling back: max wait reached, abandoned with a known number,
voicemail left, or callback requested. kwargs: call_id, reason (missed, abandoned,
voicemail, callback-requested)."""

sms_received = hotline_signals.signal("sms-received")
"""An inbound SMS passed signature validation. kwargs: message_sid, from_number (E.164 or
None), body. Receivers return a reply text or None (the webhook sends the first reply)."""

sms_delivery = hotline_signals.signal("sms-delivery")
"""A template SMS provider reported a message's delivery. kwargs: session, origin (who queued it,
e.g. "attempt:12"), status (delivered or undelivered), error, now. Sent inside the transaction."""

sms_consent_given = hotline_signals.signal("sms-consent-given")
"""A caller pressed 1 to receive SMS (after asking for a callback); committed. kwargs: call_id."""

sms_survey_answered = hotline_signals.signal("sms-survey-answered")
"""A caller answered the SMS survey with 1-5. kwargs: session, origin (the survey's, e.g. "survey:CA…"),
score, now. Sent inside the transaction."""

intake_saved = hotline_signals.signal("intake-saved")
"""An intake was saved. kwargs: case_id, call_id (or None), risk, outcome, worker_id."""

on_duty_count = hotline_signals.signal("on-duty-count")
"""The line asks how many duty workers a published shift has at a moment (for the expected wait).
kwargs: session, at. The rota's receiver returns the count; with no receiver the line assumes one."""

call_readers = hotline_signals.signal("call-readers")
"""Need-to-know asks which calls a user may read besides those they answered. kwargs: user_id.
A receiver returns a query (Select) of call ids (routing: the call ringing in the user's console
or the one they are on now)."""

# The case file: cases sit below escalation, so they ask for escalation's records by these
# signals (sent with no sender, inside the asker's transaction) instead of importing its models.

case_handlers = hotline_signals.signal("case-handlers")
"""Need-to-know asks which cases a user handled in other packages. kwargs: user_id.
A receiver returns a query (Select) of case ids (escalation: the referrals made to the user)."""

case_referrals = hotline_signals.signal("case-referrals")
"""The case file asks for referrals. kwargs: session, case_ids, call_ids (the referrals of those
calls' callbacks too). A receiver returns a list of referral rows, oldest first."""

case_callbacks = hotline_signals.signal("case-callbacks")
"""A subject request asks for the callbacks (escalations) of cases and calls. kwargs: session,
case_ids, call_ids. A receiver returns a list of rows, oldest first."""

cases_merged = hotline_signals.signal("cases-merged")
"""A duplicate case is being merged into another (before the commit). kwargs: session, keep_id,
duplicate_id. Receivers move their rows of the duplicate to the case kept."""

case_erased = hotline_signals.signal("case-erased")
"""A case or a call is being erased on request (before the commit). kwargs: session, case_id or
call_id (the other None). Receivers blank their free texts about it."""


def gather(signal: Any, **data: Any) -> list[Any]:
    """Send a signal with no sender and return the lists its receivers returned, joined (None counts as empty)."""
    found: list[Any] = []
    for _receiver, reply in signal.send(**data):
        found.extend(reply or ())
    return found
