"""The gateway: plays Twilio's part for the hotline, with the project's own TwiML interpreter.

Rooms: `interpreter/` (calls, legs, verbs, queues, conferences, recordings, messages and
the event loop that runs them), `rest/` (the Twilio-compatible REST server the app's
twilio client talks to), `media/` (what plays, collects digits, records and places legs:
the simulated backend first) and `runner.py` (a `Gateway` in this process or on its own).
The package imports nothing from the rest of hotline: the app reaches it only through
REST and the signed webhooks it sends, as it reaches Twilio.
"""

from hotline.gateway.runner import Gateway, start_gateway

__all__ = ["Gateway", "start_gateway"]
