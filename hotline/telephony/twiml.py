"""TwiML builders: what the caller hears at each step, as pure functions of settings and URLs.

Every builder returns a complete `VoiceResponse`; routes turn them into XML.
Prompts are played from the station's recording (`<Play>` of its signed URL),
else from a recorded audio URL a manager gave, else spoken with `<Say language voice>`.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from hotline.telephony.line_settings import LineSettings

# How long a Mandarin text-to-speech voice takes, roughly (espeak-ng's and Twilio's are near 4 characters a second).
SECONDS_PER_WIDE_CHAR = 0.25
SECONDS_PER_NARROW_CHAR = 0.07


def spoken_seconds(settings: LineSettings, name: str, **values: Any) -> float:
    """Estimate how long prompt `name` lasts when spoken; 0 for a recording (its length is not known here)."""
    prompt = settings.prompt(name)
    if settings.recording_urls.get(name) or prompt.audio_url:
        return 0.0
    text = prompt.text
    try:
        text = text.format(**values)
    except (KeyError, IndexError, ValueError):
        pass
    wide = sum(1 for char in text if unicodedata.east_asian_width(char) in ("W", "F"))
    return wide * SECONDS_PER_WIDE_CHAR + (len(text) - wide) * SECONDS_PER_NARROW_CHAR


def speak(target: VoiceResponse | Gather, settings: LineSettings, name: str, **values: Any) -> None:
    """Add prompt `name` to a response or a gather: its recording or audio URL if any, else its text spoken."""
    prompt = settings.prompt(name)
    audio_url = settings.recording_urls.get(name) or prompt.audio_url
    if audio_url:
        target.play(audio_url)
        return
    text = prompt.text
    if values:
        try:
            text = text.format(**values)
        except (KeyError, IndexError, ValueError):
            text = text  # a manager's typo in a placeholder must not silence the prompt
    if text.strip():
        target.say(text, language=settings.language, voice=settings.voice)


def menu(settings: LineSettings, action_url: str, *, welcome: bool, invalid: bool = False) -> VoiceResponse:
    """Greet (first time) and ask for a key; silence or a wrong key comes back to `action_url`.

    Every prompt is inside the <Gather>: a caller who knows the menu presses a key during the greeting.
    """
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=action_url, method="POST", timeout=6, action_on_empty_result=True)
    if welcome:
        speak(gather, settings, "greeting")
        speak(gather, settings, "privacy")
    if invalid:
        speak(gather, settings, "invalid")
    speak(gather, settings, "menu")
    response.append(gather)
    # Engines that ignore actionOnEmptyResult fall through: treat it as no input.
    response.redirect(action_url, method="POST")
    return response


def enqueue(settings: LineSettings, queue_name: str, wait_url: str, action_url: str, *, crisis: bool) -> VoiceResponse:
    """Put the caller in the hold queue (the app, not Twilio, keeps the order)."""
    response = VoiceResponse()
    speak(response, settings, "crisis" if crisis else "queued")
    response.enqueue(queue_name, wait_url=wait_url, wait_url_method="POST", action=action_url, method="POST")
    return response


def queue_wait(
    settings: LineSettings, *, ahead: int | None, minutes: int | None, leave: bool, remaining: float | None = None
) -> VoiceResponse:
    """Answer the queue's wait URL: announce the place in line, then hold; or leave the queue.

    The hold lasts until the next announcement or, when sooner, until the maximum
    wait is reached (`remaining` seconds): Twilio asks the wait URL again then,
    and the caller leaves the queue within a second or two of the limit. Hold
    music plays only while the limit is further away than one announcement
    interval, since a clip cannot be cut short. The announcement's own length
    (estimated for a spoken prompt) counts towards the limit, and an announcement
    that would not end before the limit is left out of the last round.
    """
    response = VoiceResponse()
    if leave:
        response.leave()
        return response
    interval = max(1, settings.announce_every_seconds)
    if ahead is not None:
        name = "next_in_line" if ahead == 0 else "position"
        values = {"ahead": ahead, "minutes": max(1, minutes or 1)}
        announcement = spoken_seconds(settings, name, **values)
        if remaining is None or remaining > announcement + 1:
            speak(response, settings, name, **values)
            remaining = None if remaining is None else remaining - announcement
    hold = interval if remaining is None else max(1, min(interval, math.ceil(remaining)))
    if settings.hold_audio_url and hold >= interval:
        response.play(settings.hold_audio_url)
    else:
        response.pause(length=hold)
    return response


def on_hold(settings: LineSettings | None, again_url: str) -> VoiceResponse:
    """Answer a conference's hold URL: the line's hold music, else the on-hold prompt and a pause, again and again.

    Without settings (the database is down) only the pause and the redirect: silence, never a hang-up.
    """
    response = VoiceResponse()
    if settings is not None and settings.hold_audio_url:
        response.play(settings.hold_audio_url, loop=0)
        return response
    if settings is not None:
        speak(response, settings, "on_hold")
    response.pause(length=20)
    response.redirect(again_url, method="POST")
    return response


def offer_voicemail_or_callback(settings: LineSettings, action_url: str, *, lead: str) -> VoiceResponse:
    """Say why (closed, waited too long), then offer 1 voicemail, 2 callback; silence goes to voicemail."""
    response = VoiceResponse()
    speak(response, settings, lead)
    gather = Gather(num_digits=1, action=action_url, method="POST", timeout=6, action_on_empty_result=True)
    speak(gather, settings, "options")
    response.append(gather)
    response.redirect(action_url, method="POST")
    return response


def closed(
    settings: LineSettings,
    action_url: str,
    *,
    reason: str,
    hours: str,
    numbers: str,
    closure_message: str | None = None,
) -> VoiceResponse:
    """Tell the caller the line is closed, the hours, the emergency numbers; offer voicemail or callback."""
    response = VoiceResponse()
    if reason == "closure" and closure_message:
        response.say(closure_message, language=settings.language, voice=settings.voice)
    else:
        speak(response, settings, {"closure": "closure", "holiday": "holiday"}.get(reason, "closed"), hours=hours)
    if numbers:
        speak(response, settings, "emergency", numbers=numbers)
    gather = Gather(num_digits=1, action=action_url, method="POST", timeout=6, action_on_empty_result=True)
    speak(gather, settings, "options")
    response.append(gather)
    response.redirect(action_url, method="POST")
    return response


def record_voicemail(
    settings: LineSettings, action_url: str, recording_callback_url: str, *, lead: str | None = None
) -> VoiceResponse:
    """Ask for a message (after an optional lead prompt) and record it; the recording also arrives by callback."""
    response = VoiceResponse()
    if lead:
        speak(response, settings, lead)
    speak(response, settings, "voicemail")
    response.record(
        action=action_url,
        method="POST",
        max_length=120,
        timeout=5,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=recording_callback_url,
        recording_status_callback_method="POST",
    )
    # No recording (silence): the action is still requested by Twilio; this is for engines that fall through.
    response.redirect(action_url, method="POST")
    return response


def redirect_to(url: str) -> VoiceResponse:
    """Send the call on to the TwiML at an absolute URL."""
    response = VoiceResponse()
    response.redirect(url, method="POST")
    return response


def offer_sms(settings: LineSettings, action_url: str) -> VoiceResponse:
    """Confirm the callback and ask whether the caller wants an SMS confirmation (press 1); silence hangs up."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=action_url, method="POST", timeout=5)
    speak(gather, settings, "callback_confirmed")
    speak(gather, settings, "sms_offer")
    response.append(gather)
    response.hangup()
    return response


def goodbye(settings: LineSettings, *names: str) -> VoiceResponse:
    """Say the given prompts (default: goodbye) and hang up."""
    response = VoiceResponse()
    for name in names or ("goodbye",):
        speak(response, settings, name)
    response.hangup()
    return response


def dial_worker(
    settings: LineSettings,
    *,
    identity: str | None,
    number: str | None,
    action_url: str,
    status_callback_url: str,
    caller_id: str | None,
) -> VoiceResponse:
    """Connect the caller to a worker's browser (<Client>) or phone (<Number>); the action handles no-answer.

    The dialled leg reports `answered` and `completed` to the status callback, so the
    moment the worker picks up is on the call's timeline.
    """
    response = VoiceResponse()
    speak(response, settings, "connecting")
    dial = Dial(action=action_url, method="POST", timeout=settings.dial_timeout_seconds, caller_id=caller_id)
    leg = {
        "status_callback": status_callback_url,
        "status_callback_event": "answered completed",
        "status_callback_method": "POST",
    }
    if identity:
        dial.client(identity, **leg)
    elif number:
        dial.number(number, **leg)
    response.append(dial)
    return response


def dial_number(settings: LineSettings, number: str, *, action_url: str, caller_id: str | None) -> VoiceResponse:
    """Tell the caller they are being connected, then <Dial> a number from the hotline's; the action handles the end."""
    response = VoiceResponse()
    speak(response, settings, "connecting")
    dial = Dial(action=action_url, method="POST", timeout=settings.dial_timeout_seconds, caller_id=caller_id)
    dial.number(number)
    response.append(dial)
    return response


def back_to_queue(settings: LineSettings, enqueue_url: str) -> VoiceResponse:
    """Tell the caller the worker did not answer and send them back to the queue."""
    response = VoiceResponse()
    speak(response, settings, "worker_missed")
    response.redirect(enqueue_url, method="POST")
    return response


def apology_then(settings: LineSettings, redirect_url: str | None) -> VoiceResponse:
    """Apologise, then continue at `redirect_url` (or hang up politely when there is none)."""
    response = VoiceResponse()
    speak(response, settings, "apology")
    if redirect_url:
        response.redirect(redirect_url, method="POST")
    else:
        speak(response, settings, "goodbye")
        response.hangup()
    return response


def empty() -> VoiceResponse:
    """An empty response (status callbacks, results nobody listens to)."""
    return VoiceResponse()
