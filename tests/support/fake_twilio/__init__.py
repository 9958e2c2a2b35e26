"""A local Twilio-compatible REST server acting on a simulated phone network.

It serves the subset of Twilio's 2010-04-01 REST API the app uses through the official helper
library (calls, queues, queue members, messages) and the media of the recordings made on its
network (``Recordings/{sid}.mp3`` / ``.wav``), with Twilio's JSON shapes and error bodies,
HTTP basic auth (account SID + auth token, or API key SID + secret), and a log of every request.
Its operations act on a `hotline.telephony.twiml_runner.Network`, so a queue-member update
really dequeues the waiting call there. Point a client at it with
`hotline.telephony.twilio_http.build_client(..., api_base_url=fake.base_url)`.

Knobs: `fake.delay` (seconds before answering each request) and `fake.fail(status, times)`
(answer with an error instead) test that the app's webhooks do not wait on the REST API.

The server and its knobs are in server.py, the resources it serves in resources.py,
Twilio's wire format (paths, parameters, errors, dates) in wire.py.
"""

from tests.support.fake_twilio.server import FakeTwilio, start_fake_twilio
from tests.support.fake_twilio.wire import recording_media

__all__ = ["FakeTwilio", "recording_media", "start_fake_twilio"]
