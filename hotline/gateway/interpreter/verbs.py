"""The simple TwiML verbs of the simulated network: Say, Play, Gather, Record, and Sms/Message.

Each runs on a `Call` as part of its generator (see `model`), like <Enqueue>
(`queues`) and <Dial> (`dial`). A verb that moves the call on returns the
action `Source` to follow; None lets the document go on with the next verb.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET  # noqa: S405 - TwiML from the application under test
from email.utils import format_datetime
from typing import TYPE_CHECKING

from hotline.gateway.interpreter.legs import Effects
from hotline.gateway.interpreter.model import KEY_PRESS_SECONDS, RECORDING_READY_SECONDS, HungUp, Sleep, Source
from hotline.gateway.interpreter.queues import new_sid
from hotline.gateway.media.backend import WAIT_FOR_INPUT, GatherPrompt, Prompt, RecordingInput, RecordingRequest

if TYPE_CHECKING:
    from hotline.gateway.interpreter.calls import Call


def collect_digits(keys: str, num_digits: int | None, finish_on_key: str) -> tuple[str, bool]:
    """Apply a <Gather>'s numDigits and finishOnKey to the keys pressed; tell whether input is complete."""
    collected = ""
    for key in keys:
        if finish_on_key and key in finish_on_key:
            return collected, True
        collected += key
        if num_digits is not None and len(collected) >= num_digits:
            return collected, True
    return collected, False


def sound(call: Call, prompt: Prompt) -> Effects:
    """Let the media play a prompt for as long as it lasts (an endless one until something interrupts)."""
    seconds = call.network.media.play(call, prompt)
    yield Sleep(seconds, elective=math.isinf(seconds))


def say(call: Call, verb: ET.Element) -> Effects:
    """Speak a <Say> (its loop attribute repeats it; 0 repeats until something interrupts)."""
    text = "".join(verb.itertext()).strip()
    loop = int(verb.get("loop", "1"))
    detail = {"language": verb.get("language"), "voice": verb.get("voice"), "loop": loop}
    call.event("say", text=text, detail=detail)
    yield from sound(call, Prompt("say", text=text, language=verb.get("language"), voice=verb.get("voice"), loop=loop))


def play(call: Call, verb: ET.Element) -> Effects:
    """Play a <Play> URL (or its DTMF digits)."""
    loop = int(verb.get("loop", "1"))
    if verb.get("digits"):
        call.event("play", digits=verb.get("digits"))
        yield from sound(call, Prompt("digits", digits=verb.get("digits", "")))
        return
    url = (verb.text or "").strip()
    call.event("play", url=url, detail={"loop": loop})
    yield from sound(call, Prompt("play", url=url, loop=loop))


def gather(call: Call, verb: ET.Element, doc_url: str, *, in_queue: bool = False) -> Effects:
    """Play the nested prompts, take keys from the party (during the prompts too), return the action Source."""
    action = call.resolve(doc_url, verb.get("action"))
    method = verb.get("method", "POST").upper()
    timeout = float(verb.get("timeout", "5"))
    num_digits = int(verb.get("numDigits")) if verb.get("numDigits") else None
    finish_on_key = verb.get("finishOnKey", "#")
    on_empty = verb.get("actionOnEmptyResult", "false").lower() == "true"
    prompts = tuple("".join(child.itertext()).strip() for child in verb if child.tag == "Say")
    prompt = GatherPrompt(call.sid, prompts, num_digits, timeout, finish_on_key, action, in_queue)
    call.waiting_for_input, call._input = prompt, None  # Twilio takes keys from the first prompt on
    try:
        pressed = yield from _play_prompts(call, verb)
        if pressed is not None:
            keys = pressed
            if keys and not collect_digits(keys, num_digits, finish_on_key)[1]:
                keys = yield from _await_keys(call, prompt, keys)
            digits = collect_digits(keys, num_digits, finish_on_key)[0]
        else:
            digits = yield from _ask_party(call, prompt)
    finally:
        call.waiting_for_input, call._input = None, None
    call.event("gather", digits=digits, url=action, detail={"prompts": list(prompts), "in_queue": in_queue})
    if digits or on_empty:
        return Source(action, method, {"Digits": digits})
    return None


def _play_prompts(call: Call, verb: ET.Element) -> Effects:
    """Play a <Gather>'s nested verbs; a key pressed meanwhile stops them: return the keys (None: no key)."""
    for child in verb:
        if child.tag == "Say":
            yield from say(call, child)
        elif child.tag == "Play":
            yield from play(call, child)
        elif child.tag == "Pause":
            yield Sleep(float(child.get("length", "1")))
        else:
            call.event("error", text=f"<{child.tag}> cannot be nested in <Gather>")
        if call._input is not None:
            call.network.media.stop(call)
            call.event("barge-in", digits=call._input)
            pressed, call._input = call._input, None
            return pressed
    return None


def _ask_party(call: Call, prompt: GatherPrompt) -> Effects:
    """Take the keys the media reports for a <Gather> after its prompts; return the digits collected."""
    answer = call.network.media.collect_digits(call, prompt)
    if answer is WAIT_FOR_INPUT:
        keys = yield from _await_keys(call, prompt, "")
        return collect_digits(keys, prompt.num_digits, prompt.finish_on_key)[0]
    keys = answer if isinstance(answer, str) else ""
    digits, complete = collect_digits(keys, prompt.num_digits, prompt.finish_on_key)
    if keys:
        yield Sleep(len(keys) * KEY_PRESS_SECONDS)
    if not complete:
        yield Sleep(prompt.timeout)
    return digits


def _await_keys(call: Call, prompt: GatherPrompt, keys: str) -> Effects:
    """Wait (electively) for keys pressed through `press`, until complete, silent or timed out."""
    call.event("awaiting-input", detail={"timeout": prompt.timeout, "prompts": list(prompt.prompts)})
    while True:
        call._input = None
        yield Sleep(prompt.timeout, elective=True)
        pressed, call._input = call._input, None
        if not pressed:
            return keys
        keys += pressed
        if collect_digits(keys, prompt.num_digits, prompt.finish_on_key)[1]:
            return keys


def record(call: Call, verb: ET.Element, doc_url: str) -> Effects:
    """Record the party; request the action with the recording, and the recording status callback."""
    action = call.resolve(doc_url, verb.get("action"))
    method = verb.get("method", "POST").upper()
    timeout = float(verb.get("timeout", "5"))
    finish_on_key = verb.get("finishOnKey", "1234567890*#")
    max_length = float(verb.get("maxLength", "3600"))
    callback = verb.get("recordingStatusCallback")
    callback_url = call.resolve(doc_url, callback) if callback else None
    callback_method = verb.get("recordingStatusCallbackMethod", "POST").upper()
    callback_events = set(verb.get("recordingStatusCallbackEvent", "completed").replace(",", " ").split())
    if verb.get("playBeep", "true").lower() != "false":
        call.event("beep")
        yield from sound(call, Prompt("beep"))
    recording_sid = new_sid("RE")
    spoken = call.network.media.record(call, RecordingRequest(recording_sid, max_length, finish_on_key, timeout))
    live = spoken is WAIT_FOR_INPUT
    if live:  # a real phone: the media reports the end (a key, silence, the limit, a hang-up)
        started_at = call.network.now
        call._recorded = None
        while call._recorded is None:
            yield Sleep(max_length + timeout + 5.0)
            if call._recorded is None and call.network.now - started_at > max_length + timeout + 5.0:
                call._recorded = RecordingInput(seconds=max_length, finish_key=None)
        spoken, call._recorded = call._recorded, None
    seconds = min(max(spoken.seconds, 0.0), max_length)
    recording_url = f"https://api.twilio.com/2010-04-01/Accounts/{call.account_sid}/Recordings/{recording_sid}"
    started = format_datetime(call.network.now_utc())

    def queue_callback(status: str, delay: float = 0.0) -> None:
        if callback_url and status in callback_events:
            params = {
                "AccountSid": call.account_sid,
                "CallSid": call.sid,
                "RecordingSid": recording_sid,
                "RecordingUrl": recording_url,
                "RecordingStatus": status,
                "RecordingDuration": str(int(round(seconds))) if status == "completed" else "0",
                "RecordingChannels": "1",
                "RecordingStartTime": started,
                "RecordingSource": "RecordVerb",
            }
            call.network.queue_callback(call, callback_url, callback_method, params, delay=delay)

    call.event("record", detail={"seconds": seconds, "finish_key": spoken.finish_key, "hang_up": spoken.hang_up})
    queue_callback("in-progress")
    if not live:
        yield Sleep(seconds)
    if spoken.hang_up:
        digits = "hangup"
    elif seconds < max_length and spoken.finish_key and spoken.finish_key in finish_on_key:
        digits = spoken.finish_key
    else:
        digits = ""
        if seconds < max_length and not live:
            yield Sleep(timeout)
    duration = int(round(seconds))
    if duration == 0:
        call.event("record", text="empty recording: Twilio skips the action and goes on")
        queue_callback("absent")
        if spoken.hang_up:
            raise HungUp("caller", call.sid)
        return None
    call.network.add_recording(call, recording_sid, recording_url, duration, digits)
    params = {
        "RecordingUrl": recording_url,
        "RecordingDuration": str(duration),
        "RecordingSid": recording_sid,
        "Digits": digits,
    }
    queue_callback("completed", delay=RECORDING_READY_SECONDS)
    if spoken.hang_up:
        yield from call.notify(Source(action, method, params), status="completed")
        raise HungUp("caller", call.sid)
    return Source(action, method, params)


def send_message(call: Call, verb: ET.Element) -> None:
    """Send the SMS of a voice <Sms> or <Message> verb (to the caller unless `to` says otherwise)."""
    body_element = verb.find("Body")
    body = "".join((body_element if body_element is not None else verb).itertext()).strip()
    to = verb.get("to") or call.from_
    from_ = verb.get("from") or call.to
    message = call.network.add_message(to=to, from_=from_, body=body, direction="outbound-reply", call_sid=call.sid)
    call.event("message", text=body, detail={"to": to, "from": from_, "sid": message.sid})
