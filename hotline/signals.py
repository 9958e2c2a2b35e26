"""Domain signals: one package announces, another reacts, neither imports the other's internals.

Senders call `signal.send(current_app._get_current_object(), **data)` after the data
they announce is committed. Receivers connect in their package's init_app.
"""

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

intake_saved = hotline_signals.signal("intake-saved")
"""An intake was saved. kwargs: case_id, call_id (or None), risk, outcome, worker_id."""
