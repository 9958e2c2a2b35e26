"""A simulated call follows the TwiML it is given: Gather, Enqueue and Leave, Record, Dial, errors and fallbacks.

Every test runs against the tiny app of `twiml_app`, which checks every signature.
"""

from __future__ import annotations

import pytest

from hotline.gateway.interpreter import WAIT_FOR_INPUT, CallerScript, CallStateError, Network, RecordingInput
from tests.gateway.twiml_app import ACCOUNT, CALLER, HOTLINE, PUBLIC, TOKEN, AppRecord


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


def test_a_key_pressed_while_the_prompt_plays_is_taken(network: Network, record: AppRecord) -> None:
    call = network.dial_in(CALLER, HOTLINE, CallerScript(digits=[WAIT_FOR_INPUT]))
    network.run_until(lambda: call.waiting_for_input is not None)
    (prompt,) = call.events("say")
    assert prompt.text.startswith("Press 1") and network.now == prompt.at  # the prompt has just begun

    call.press("1")
    network.run_until_idle()

    (barge_in,) = call.events("barge-in")
    assert barge_in.digits == "1" and barge_in.at == prompt.at
    assert [params["Digits"] for params in record.posted("/voice/menu")] == ["1"]
    assert network.queues["hotline"].call_sids == [call.sid]
    menu_waits = [event for event in call.events("awaiting-input") if event.detail["prompts"][0].startswith("Press")]
    assert menu_waits == []  # the key came before the prompt ended: no wait after it
