"""The TwiML runner plays Twilio's side of calls against a tiny Flask app that checks every signature."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse
from werkzeug.serving import make_server

from hotline.telephony.twiml_runner import (
    WAIT_FOR_INPUT,
    CallerScript,
    CallStateError,
    Network,
    RecordingInput,
    RunawayCallError,
    Timing,
)

TOKEN = "test-auth-token"
ACCOUNT = "AC" + "1" * 32
PUBLIC = "https://hotline.example.org"
HOTLINE = "+862200000000"
CALLER = "+8613900000001"


@dataclass
class AppRecord:
    """What the tiny app saw."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    bad_signatures: list[str] = field(default_factory=list)

    def posted(self, path: str) -> list[dict[str, str]]:
        """Return the parameters of every request to a path."""
        return [params for seen, params in self.requests if seen == path]


def make_app(record: AppRecord) -> Flask:
    """Build a hotline-like app: a menu, a queue with announcements, voicemail, a dial, SMS."""
    app = Flask(__name__)
    validator = RequestValidator(TOKEN)

    @app.before_request
    def check_signature() -> None:
        query = request.query_string.decode()
        url = PUBLIC + request.path + ("?" + query if query else "")
        params = request.form.to_dict() if request.method == "POST" else {}
        if not validator.validate(url, params, request.headers.get("X-Twilio-Signature", "")):
            record.bad_signatures.append(url)
            abort(403)
        record.requests.append((request.path, {**request.args.to_dict(), **request.form.to_dict()}))

    def twiml(response: VoiceResponse | MessagingResponse) -> Response:
        return Response(str(response), mimetype="text/xml")

    @app.post("/voice/incoming")
    def incoming() -> Response:
        response = VoiceResponse()
        gather = Gather(num_digits=1, action="/voice/menu", timeout=4)
        gather.say("Press 1 to talk to a social worker, 2 to leave a message, 3 for the duty expert.")
        response.append(gather)
        response.say("We did not hear a choice. Goodbye.")
        return twiml(response)

    @app.post("/voice/menu")
    def menu() -> Response:
        digits = request.form["Digits"]
        response = VoiceResponse()
        if digits == "1":
            response.enqueue("hotline", action="/voice/queue-done", wait_url="/voice/wait")
        elif digits == "2":
            response.say("Leave a message after the tone.")
            response.record(
                action="/voice/recorded", max_length=60, finish_on_key="#", recording_status_callback="/voice/recording"
            )
        elif digits == "3":
            dial = Dial(action="/voice/dial-done", timeout=10)
            dial.number("+8613800000000")
            response.append(dial)
        elif digits == "9":
            abort(500)
        else:
            response.redirect("/voice/incoming")
        return twiml(response)

    @app.post("/voice/wait")
    def wait() -> Response:
        response = VoiceResponse()
        gather = Gather(num_digits=1, action="/voice/wait-key", timeout=1)
        gather.say(f"You are number {request.form['QueuePosition']} in the queue.", language="cmn-CN")
        response.append(gather)
        response.pause(length=10)
        return twiml(response)

    @app.post("/voice/wait-key")
    def wait_key() -> Response:
        response = VoiceResponse()
        if request.form["Digits"] == "*":
            response.leave()
        return twiml(response)

    @app.post("/voice/queue-done")
    def queue_done() -> Response:
        response = VoiceResponse()
        response.say(f"Queue result {request.form['QueueResult']}.")
        return twiml(response)

    @app.post("/voice/connect")
    def connect() -> Response:
        response = VoiceResponse()
        response.say("Connecting you now.")
        dial = Dial(action="/voice/dial-done")
        dial.client("worker_1")
        response.append(dial)
        return twiml(response)

    @app.post("/voice/dial-done")
    def dial_done() -> Response:
        response = VoiceResponse()
        response.say(f"Dial {request.form['DialCallStatus']}.")
        response.hangup()
        return twiml(response)

    @app.post("/voice/recorded")
    def recorded() -> Response:
        response = VoiceResponse()
        response.say("Your message is saved.")
        response.hangup()
        return twiml(response)

    @app.route("/voice/by-get", methods=["GET"])
    def by_get() -> Response:
        response = VoiceResponse()
        response.say(f"Fetched with GET for {request.args['CallSid']} and x={request.args['x']}.")
        return twiml(response)

    @app.post("/voice/redirect-get")
    def redirect_get() -> Response:
        response = VoiceResponse()
        response.redirect("/voice/by-get?x=1", method="GET")
        return twiml(response)

    @app.post("/voice/loop")
    def loop() -> Response:
        response = VoiceResponse()
        response.redirect("/voice/loop")
        return twiml(response)

    @app.post("/voice/fallback")
    def fallback() -> Response:
        response = VoiceResponse()
        response.say("Sorry, please call again later.")
        return twiml(response)

    @app.post("/voice/recording")
    @app.post("/voice/status")
    def callbacks() -> tuple[str, int]:
        return "", 204

    @app.post("/sms")
    def sms() -> Response:
        response = MessagingResponse()
        response.message(f"Got: {request.form['Body']}")
        return twiml(response)

    return app


@pytest.fixture
def record() -> AppRecord:
    return AppRecord()


@pytest.fixture
def app_url(record: AppRecord) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, make_app(record), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def network(app_url: str) -> Iterator[Network]:
    with Network(
        app_url,
        PUBLIC,
        TOKEN,
        ACCOUNT,
        "/voice/incoming",
        status_callback_url="/voice/status",
        sms_url="/sms",
    ) as network:
        yield network


def test_signature_matches_twilios_documented_vector(network: Network) -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    sender = Network("http://127.0.0.1:1", "https://example.com", "12345", ACCOUNT).webhooks
    assert sender.signature("https://example.com/myapp.php?foo=1&bar=2", params) == "L/OH5YylLD5NRKLltdqwSvS0BnU="
    sender.http.close()


def test_silence_at_the_menu_falls_through_to_the_next_verb(network: Network, record: AppRecord) -> None:
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=[None]))
    network.run_until_idle()

    assert call.status == "completed"
    assert call.said[-1] == "We did not hear a choice. Goodbye."
    assert record.posted("/voice/menu") == []
    first = call.webhooks[0].params
    assert first["CallStatus"] == "ringing"
    assert first["Direction"] == "inbound"
    assert first["From"] == first["Caller"] == CALLER
    assert first["To"] == first["Called"] == HOTLINE
    assert first["AccountSid"] == ACCOUNT
    assert record.bad_signatures == []
    assert network.errors == []


def test_callers_wait_in_fifo_order_and_hear_their_position(network: Network, record: AppRecord) -> None:
    first = network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1"]))
    second = network.dial_in("+8613900000002", HOTLINE, CallerScript(digits=["1"]))
    network.run_until_idle()

    queue = network.queues["hotline"]
    assert queue.call_sids == [first.sid, second.sid]
    assert queue.sid.startswith("QU") and len(queue.sid) == 34
    assert "You are number 1 in the queue." in first.said
    assert "You are number 2 in the queue." in second.said
    wait = record.posted("/voice/wait")[-1]
    assert {"QueueSid", "QueueTime", "QueuePosition", "CurrentQueueSize", "AvgQueueTime"} <= wait.keys()
    assert wait["CurrentQueueSize"] == "2"
    say = next(event for event in first.events("say") if event.text.startswith("You are"))
    assert say.detail["language"] == "cmn-CN"

    network.advance(60)
    times = [int(params["QueueTime"]) for params in record.posted("/voice/wait") if params["CallSid"] == first.sid]
    assert len(times) >= 4
    assert times == sorted(times) and times[-1] >= 40
    assert first.status == second.status == "in-progress"
    assert network.errors == []


def test_hanging_up_in_the_queue_posts_queue_result_hangup(network: Network, record: AppRecord) -> None:
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1"], hangup_in_queue_after_rounds=2))
    network.run_until_idle()

    assert call.status == "completed"
    assert len(record.posted("/voice/wait")) == 2
    done = record.posted("/voice/queue-done")[0]
    assert done["QueueResult"] == "hangup"
    assert done["CallStatus"] == "completed"
    assert int(done["QueueTime"]) >= 20
    assert network.queues["hotline"].call_sids == []
    assert network.errors == []


def test_leave_in_the_wait_document_continues_with_the_action(network: Network, record: AppRecord) -> None:
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1", "*"]))
    network.run_until_idle()

    assert record.posted("/voice/queue-done")[0]["QueueResult"] == "leave"
    assert call.said[-1] == "Queue result leave."
    assert call.status == "completed"
    assert network.errors == []


def test_rest_redirect_of_a_queued_call_posts_redirected_then_runs_the_new_url(
    network: Network, record: AppRecord
) -> None:
    network.callees["client:worker_1"] = CallerScript(ring_seconds=2, talk_seconds=45)
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1"]))
    network.run_until_idle()
    network.redirect_queued_call(call.sid, "/voice/connect")
    network.run_until_idle()

    done = record.posted("/voice/queue-done")[0]
    assert done["QueueResult"] == "redirected"
    assert "Queue result redirected." not in call.said  # the action's TwiML is not run
    assert "Connecting you now." in call.said
    dial_done = record.posted("/voice/dial-done")[0]
    assert dial_done["DialCallStatus"] == "completed"
    assert dial_done["DialCallDuration"] == "45"
    leg = network.call(dial_done["DialCallSid"])
    assert leg.to == "client:worker_1" and leg.parent_sid == call.sid and leg.status == "completed"
    assert call.said[-1] == "Dial completed."
    assert network.errors == []


def test_voicemail_is_recorded_with_action_and_status_callback(network: Network, record: AppRecord) -> None:
    caller = CallerScript(digits=["2"], recordings=[RecordingInput(seconds=12, finish_key="#")])
    call = network.dial_in(CALLER, HOTLINE, caller)
    network.run_until_idle()

    recorded = record.posted("/voice/recorded")[0]
    assert recorded["RecordingDuration"] == "12"
    assert recorded["Digits"] == "#"
    assert recorded["RecordingSid"].startswith("RE")
    status = record.posted("/voice/recording")[0]
    assert status["RecordingStatus"] == "completed"
    assert status["RecordingSid"] == recorded["RecordingSid"]
    paths = [path for path, _ in record.requests]
    assert paths.index("/voice/recorded") < paths.index("/voice/recording")
    assert [r.duration for r in network.recordings] == [12]
    assert call.said[-1] == "Your message is saved."
    assert network.errors == []


def test_dial_reports_a_busy_number_to_its_action(network: Network, record: AppRecord) -> None:
    network.callees["+8613800000000"] = CallerScript(answer="busy")
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=["3"]))
    network.run_until_idle()

    assert record.posted("/voice/dial-done")[0]["DialCallStatus"] == "busy"
    assert call.said[-1] == "Dial busy."


def test_dial_times_out_as_no_answer(network: Network, record: AppRecord) -> None:
    network.callees["+8613800000000"] = CallerScript(answer="no-answer")
    network.dial_in(CALLER, HOTLINE, CallerScript(digits=["3"]))
    started = network.now
    network.run_until_idle()

    assert record.posted("/voice/dial-done")[0]["DialCallStatus"] == "no-answer"
    assert network.now - started >= 10


def test_status_callbacks_carry_sequence_numbers_and_duration(app_url: str, record: AppRecord) -> None:
    with Network(
        app_url,
        PUBLIC,
        TOKEN,
        ACCOUNT,
        "/voice/incoming",
        status_callback_url="/voice/status",
        inbound_status_events=("initiated", "ringing", "answered", "completed"),
    ) as network:
        call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=[None]))
        network.run_until_idle()

    statuses = record.posted("/voice/status")
    assert [s["CallStatus"] for s in statuses] == ["ringing", "in-progress", "completed"]
    assert [s["SequenceNumber"] for s in statuses] == ["0", "1", "2"]
    assert all(s["CallSid"] == call.sid and s["Timestamp"].endswith("+0000") for s in statuses)
    assert int(statuses[-1]["CallDuration"]) == call.duration > 0


def test_status_callbacks_can_be_duplicated_and_delivered_out_of_order(network: Network, record: AppRecord) -> None:
    network.duplicate_callbacks = True
    network.hold_callbacks = True
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1"]), status_events=("ringing", "completed"))
    network.run_until_idle()
    call.hang_up()
    network.run_until_idle()
    assert record.posted("/voice/status") == []

    network.release_callbacks("reverse")
    statuses = [(s["CallStatus"], s["SequenceNumber"]) for s in record.posted("/voice/status")]
    assert statuses == [("completed", "1"), ("completed", "1"), ("ringing", "0"), ("ringing", "0")]


def test_an_application_error_is_recorded_and_ends_the_call(network: Network, record: AppRecord) -> None:
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=["9"]))
    network.run_until_idle()

    assert call.status == "completed"
    assert [event.kind for event in call.errors] == ["error", "application-error"]
    assert call.errors[0].status_code == 500
    assert call.errors[0].detail["error_code"] == 11200
    assert network.errors == call.errors


def test_the_fallback_url_answers_when_the_app_fails(app_url: str, record: AppRecord) -> None:
    with Network(app_url, PUBLIC, TOKEN, ACCOUNT, "/voice/incoming", fallback_url="/voice/fallback") as network:
        call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=["9"]))
        network.run_until_idle()

    fallback = record.posted("/voice/fallback")[0]
    assert fallback["ErrorCode"] == "11200"
    assert fallback["ErrorUrl"] == PUBLIC + "/voice/menu"
    assert fallback["Digits"] == "9"
    assert call.said[-1] == "Sorry, please call again later."
    assert [event.kind for event in call.errors] == ["error"]


def test_a_gather_can_wait_for_keys_pressed_later(network: Network, record: AppRecord) -> None:
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=[WAIT_FOR_INPUT]))
    network.run_until_idle()

    assert call.waiting_for_input is not None
    assert call.waiting_for_input.prompts[0].startswith("Press 1")
    assert call.status == "in-progress"
    call.press("1")
    network.run_until_idle()
    assert call.waiting_for_input is None
    assert network.queues["hotline"].call_sids == [call.sid]
    with pytest.raises(CallStateError):
        call.press("1")


def test_an_unanswered_interactive_gather_times_out_when_time_passes(network: Network) -> None:
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=[WAIT_FOR_INPUT]))
    network.run_until_idle()
    network.advance(10)

    assert call.status == "completed"
    assert call.said[-1] == "We did not hear a choice. Goodbye."


def test_get_requests_carry_parameters_in_the_signed_query_string(app_url: str, record: AppRecord) -> None:
    with Network(app_url, PUBLIC, TOKEN, ACCOUNT, "/voice/redirect-get") as network:
        call = network.dial_in(CALLER, HOTLINE)
        network.run_until_idle()

    assert call.said == [f"Fetched with GET for {call.sid} and x=1."]
    assert call.webhooks[-1].method == "GET"
    assert record.bad_signatures == []


def test_outbound_calls_report_no_answer(network: Network) -> None:
    call = network.create_call(
        "+8613700000000",
        HOTLINE,
        url="/voice/recorded",
        status_callback="/voice/status",
        status_callback_event=("initiated", "ringing", "answered", "completed"),
        callee=CallerScript(answer="no-answer"),
        timeout=20,
    )
    network.run_until_idle()

    assert call.status == "no-answer"
    statuses = [event.params["CallStatus"] for event in call.events("callback")]
    assert statuses == ["initiated", "ringing", "no-answer"]
    assert call.webhooks == []


def test_outbound_calls_run_their_url_when_answered(network: Network) -> None:
    call = network.create_call("+8613700000000", HOTLINE, url=PUBLIC + "/voice/recorded")
    network.run_until_idle()

    assert call.direction == "outbound-api"
    assert call.webhooks[0].params["CallStatus"] == "in-progress"
    assert call.said == ["Your message is saved."]


def test_sms_in_and_replies_out(network: Network, record: AppRecord) -> None:
    assert network.send_sms_to_app(CALLER, HOTLINE, "hello") == ["Got: hello"]

    inbound = record.posted("/sms")[0]
    assert inbound["Body"] == "hello" and inbound["NumMedia"] == "0" and inbound["MessageSid"].startswith("SM")
    assert [(m.direction, m.to, m.body) for m in network.messages] == [
        ("inbound", HOTLINE, "hello"),
        ("outbound-reply", CALLER, "Got: hello"),
    ]


def test_virtual_time_never_sleeps(app_url: str) -> None:
    slow_speech = Timing(say_seconds_per_char=100)
    with Network(app_url, PUBLIC, TOKEN, ACCOUNT, "/voice/incoming", timing=slow_speech) as network:
        call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=[None]))
        started = time.monotonic()
        network.run_until_idle()

    assert time.monotonic() - started < 5
    assert call.duration >= 3 * 3600


def test_a_redirect_loop_is_stopped(app_url: str) -> None:
    with Network(app_url, PUBLIC, TOKEN, ACCOUNT, "/voice/loop") as network:
        network.dial_in(CALLER, HOTLINE)
        with pytest.raises(RunawayCallError):
            network.run_until_idle(max_steps=50)


def test_the_network_can_run_in_real_time_in_the_background(app_url: str, record: AppRecord) -> None:
    with Network(app_url, PUBLIC, TOKEN, ACCOUNT, "/voice/incoming", timing=Timing(play_seconds=1)) as network:
        network.callees["client:worker_1"] = CallerScript(ring_seconds=1, talk_seconds=5)
        call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=[WAIT_FOR_INPUT]))
        network.start(speed=50)
        assert network.wait_until(lambda: call.waiting_for_input is not None)
        call.press("1")
        assert network.wait_until(lambda: call.queue_sid is not None)
        with pytest.raises(RuntimeError):
            network.run_until_idle()
        network.redirect_queued_call(call.sid, "/voice/connect")
        assert network.wait_until(lambda: not call.is_live)
        network.stop()

    assert record.posted("/voice/queue-done")[0]["QueueResult"] == "redirected"
    assert call.said[-1] == "Dial completed."
    assert network.errors == []
