"""The gateway's Twilio-compatible REST server, driven through the real twilio helper library."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from flask import Flask, Response, request
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline.gateway import Gateway, start_gateway
from hotline.gateway.interpreter import CallerScript, Recording
from hotline.telephony.twilio_http import RedirectingHttpClient
from tests.conftest import LiveServer

TOKEN = "fake-auth-token"
ACCOUNT = "AC" + "2" * 32
PUBLIC = "https://hotline.example.org"
HOTLINE = "+862200000000"
KEY_SID, KEY_SECRET = "SK" + "3" * 32, "key-secret"


@dataclass
class Seen:
    """What the tiny app saw, and the REST client it uses inside webhooks."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    client: Client | None = None

    def posted(self, path: str) -> list[dict[str, str]]:
        """Return the parameters of every request to a path."""
        return [params for seen, params in self.requests if seen == path]


def make_app(seen: Seen) -> Flask:
    """Build an app that queues every caller and is connected to workers over REST."""
    app = Flask(__name__)

    @app.before_request
    def remember() -> None:
        seen.requests.append((request.path, request.form.to_dict()))

    def twiml(response: VoiceResponse) -> Response:
        return Response(str(response), mimetype="text/xml")

    @app.post("/voice/incoming")
    def incoming() -> Response:
        response = VoiceResponse()
        response.enqueue("hotline", action="/voice/queue-done", wait_url="/voice/wait")
        return twiml(response)

    @app.post("/voice/wait")
    def wait() -> Response:
        response = VoiceResponse()
        response.say(f"You are number {request.form['QueuePosition']}.")
        response.pause(length=20)
        return twiml(response)

    @app.post("/voice/queue-done")
    def queue_done() -> Response:
        response = VoiceResponse()
        response.say(f"Queue result {request.form['QueueResult']}.")
        return twiml(response)

    @app.post("/voice/connect")
    def connect() -> Response:
        response = VoiceResponse()
        dial = Dial(action="/voice/dial-done")
        dial.client("worker_1")
        response.append(dial)
        return twiml(response)

    @app.post("/voice/dial-done")
    def dial_done() -> Response:
        response = VoiceResponse()
        response.hangup()
        return twiml(response)

    @app.post("/voice/outbound")
    def outbound() -> Response:
        assert seen.client is not None
        seen.client.messages.create(to=request.form["To"], from_=HOTLINE, body="We called you back.")
        response = VoiceResponse()
        response.say("This is the hotline calling you back.")
        return twiml(response)

    @app.post("/voice/status")
    @app.post("/sms/status")
    def callbacks() -> tuple[str, int]:
        return "", 204

    return app


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def app_url(seen: Seen) -> Iterator[str]:
    server = LiveServer(make_app(seen)).start()
    yield server.url
    server.stop()


@pytest.fixture
def fake(app_url: str, seen: Seen, rest_client: Any) -> Iterator[Gateway]:
    with start_gateway(
        app_url,
        PUBLIC,
        TOKEN,
        ACCOUNT,
        voice_url="/voice/incoming",
        status_callback_url="/voice/status",
        api_keys={KEY_SID: KEY_SECRET},
    ) as fake:
        seen.client = rest_client(fake)
        yield fake


def test_the_http_client_rewrites_only_twilio_hosts() -> None:
    client = RedirectingHttpClient("http://127.0.0.1:9999/base")
    assert client.rewrite("https://api.twilio.com/2010-04-01/Accounts.json?x=1") == (
        "http://127.0.0.1:9999/base/2010-04-01/Accounts.json?x=1"
    )
    assert client.rewrite("https://example.com/a") == "https://example.com/a"
    client.session.close()


def test_a_member_update_redirects_the_waiting_call(fake: Gateway, seen: Seen, rest_client: Any) -> None:
    network = fake.network
    network.callees["client:worker_1"] = CallerScript(ring_seconds=4, talk_seconds=12)
    first = network.dial_in("+8613900000001", HOTLINE)
    second = network.dial_in("+8613900000002", HOTLINE)
    network.run_until_idle()
    client = rest_client(fake)

    queue = next(queue for queue in client.queues.list() if queue.friendly_name == "hotline")
    assert queue.current_size == 2
    members = client.queues(queue.sid).members.list()
    assert [(m.call_sid, m.position) for m in members] == [(first.sid, 1), (second.sid, 2)]

    member = client.queues(queue.sid).members(second.sid).update(url=PUBLIC + "/voice/connect", method="POST")
    assert member.call_sid == second.sid
    network.run_until_idle()

    assert seen.posted("/voice/queue-done")[0]["QueueResult"] == "redirected"
    dial_done = seen.posted("/voice/dial-done")[0]
    assert (dial_done["DialCallStatus"], dial_done["DialCallDuration"]) == ("completed", "12")
    assert second.status == "completed"
    with pytest.raises(TwilioRestException) as error:
        client.queues(queue.sid).members(second.sid).update(url=PUBLIC + "/voice/connect")
    assert error.value.status == 400

    front = client.queues(queue.sid).members("Front").update(url=PUBLIC + "/voice/connect")
    assert front.call_sid == first.sid
    network.run_until_idle()
    assert first.status == "completed"
    assert len(fake.rest.requests_to("POST", r"/Queues/QU\w+/Members/")) == 3
    assert network.errors == []


def test_calls_are_created_fetched_and_report_their_status(fake: Gateway, seen: Seen, rest_client: Any) -> None:
    client = rest_client(fake)
    created = client.calls.create(
        to="+8613700000000",
        from_=HOTLINE,
        url=PUBLIC + "/voice/outbound",
        status_callback=PUBLIC + "/voice/status",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )
    assert created.status == "queued" and created.direction == "outbound-api"
    fake.network.run_until_idle()

    fetched = client.calls(created.sid).fetch()
    assert fetched.status == "completed"
    assert fetched.start_time is not None and fetched.end_time is not None
    statuses = [(p["CallStatus"], p["SequenceNumber"]) for p in seen.posted("/voice/status")]
    assert statuses == [("initiated", "0"), ("ringing", "1"), ("in-progress", "2"), ("completed", "3")]
    assert [m.body for m in fake.network.messages] == ["We called you back."]
    create = fake.rest.requests_to("POST", r"/Calls\.json$")[0]
    assert create.params["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert create.status == 201
    assert fake.network.errors == []


def test_a_call_update_can_hang_up_or_redirect(fake: Gateway, seen: Seen, rest_client: Any) -> None:
    network = fake.network
    leaving = network.dial_in("+8613900000001", HOTLINE)
    moving = network.dial_in("+8613900000002", HOTLINE)
    network.run_until_idle()
    client = rest_client(fake)

    client.calls(leaving.sid).update(status="completed")
    client.calls(moving.sid).update(twiml="<Response><Say>Moved.</Say></Response>")
    network.run_until_idle()

    assert [p["QueueResult"] for p in seen.posted("/voice/queue-done")] == ["hangup", "redirected"]
    assert leaving.status == moving.status == "completed"
    assert moving.said[-1] == "Moved."
    with pytest.raises(TwilioRestException) as error:
        client.calls(moving.sid).update(url=PUBLIC + "/voice/connect")
    assert error.value.status == 400 and error.value.code == 21220


def test_unknown_calls_answer_404_in_twilios_error_format(fake: Gateway, rest_client: Any) -> None:
    with pytest.raises(TwilioRestException) as error:
        rest_client(fake).calls("CA" + "0" * 32).fetch()
    assert error.value.status == 404
    assert error.value.code == 20404


def test_wrong_credentials_answer_401(fake: Gateway, rest_client: Any) -> None:
    with pytest.raises(TwilioRestException) as error:
        rest_client(fake, auth_token="wrong").calls("CA" + "0" * 32).fetch()
    assert error.value.status == 401
    assert fake.rest.requests[-1].status == 401


def test_api_keys_are_accepted(fake: Gateway, rest_client: Any) -> None:
    client = rest_client(fake, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET)
    assert client.queues.list() == []
    assert fake.rest.requests[-1].username == KEY_SID


def test_messages_are_sent_and_report_delivery(fake: Gateway, seen: Seen, rest_client: Any) -> None:
    client = rest_client(fake)
    message = client.messages.create(
        to="+8613900000001", from_=HOTLINE, body="Your case is open.", status_callback=PUBLIC + "/sms/status"
    )
    assert message.sid.startswith("SM") and message.status == "queued"
    fake.network.run_until_idle()

    assert [p["MessageStatus"] for p in seen.posted("/sms/status")] == ["sent", "delivered"]
    assert client.messages(message.sid).fetch().status == "delivered"


def test_a_slow_rest_api_does_not_hold_up_the_network(fake: Gateway, rest_client: Any) -> None:
    fake.rest.delay = 1.0
    client = rest_client(fake)
    listing = threading.Thread(target=client.queues.list)
    listing.start()
    time.sleep(0.1)
    call = fake.network.dial_in("+8613900000001", HOTLINE)
    started = time.monotonic()
    fake.network.run_until_idle()

    assert time.monotonic() - started < 0.9
    assert listing.is_alive()
    assert fake.network.queues["hotline"].call_sids == [call.sid]
    listing.join()


def test_a_failing_rest_api_answers_503(fake: Gateway, rest_client: Any) -> None:
    fake.rest.fail(503, times=1)
    client = rest_client(fake)
    with pytest.raises(TwilioRestException) as error:
        client.queues.create(friendly_name="urgent")
    assert error.value.status == 503
    assert client.queues.create(friendly_name="urgent").friendly_name == "urgent"


def test_recording_media_is_served_to_the_account_only(fake: Gateway, rest_client: Any) -> None:
    sid = "RE" + "4" * 32
    fake.network.recordings.append(Recording(sid, "CA" + "4" * 32, "", 9, "", datetime(2025, 3, 10, tzinfo=UTC)))
    url = f"{fake.rest_url}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}"
    mp3 = requests.get(url + ".mp3", auth=(ACCOUNT, TOKEN), timeout=5)
    assert mp3.status_code == 200 and mp3.headers["Content-Type"] == "audio/mpeg"
    assert mp3.content.startswith(b"ID3") and sid.encode() in mp3.content
    wav = requests.get(url + ".wav", auth=(ACCOUNT, TOKEN), timeout=5)
    assert wav.headers["Content-Type"] == "audio/x-wav" and wav.content.startswith(b"RIFF")
    assert requests.get(url + ".mp3", auth=(ACCOUNT, "wrong"), timeout=5).status_code == 401
    unknown = requests.get(url.replace(sid, "RE" + "5" * 32) + ".mp3", auth=(ACCOUNT, TOKEN), timeout=5)
    assert unknown.status_code == 404 and unknown.json()["code"] == 20404
