"""The gateway's Twilio-compatible REST server, acting on its network.

It serves the subset of Twilio's 2010-04-01 REST API the app uses through the official helper
library (calls, queues and their members, conferences and their participants, messages,
recordings and their media) at Twilio's paths, with Twilio's JSON shapes and error bodies,
HTTP basic auth (account SID + auth token, or API key SID + secret), and a log of every
request. Its operations act on a `hotline.gateway.interpreter.Network`, so a queue-member
update really dequeues the waiting call there.

The server and its knobs are in server.py, the resources it serves in resources.py,
Twilio's wire format (paths, parameters, errors, dates) in wire.py.
"""

from hotline.gateway.rest.server import RestServer
from hotline.gateway.rest.wire import recording_media

__all__ = ["RestServer", "recording_media"]
