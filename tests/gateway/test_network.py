"""The TwiML network: REST-side changes, status callbacks, outbound calls, SMS, its clock and run modes.

Every test runs against the tiny app of `twiml_app`, which checks every signature.
"""

from __future__ import annotations

import time

import pytest

from hotline.gateway.interpreter import WAIT_FOR_INPUT, CallerScript, Network, RunawayCallError, Timing
from tests.gateway.twiml_app import ACCOUNT, CALLER, HOTLINE, PUBLIC, TOKEN, AppRecord


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
