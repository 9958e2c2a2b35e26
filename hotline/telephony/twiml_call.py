"""One simulated voice call: its state, its transcript and the TwiML interpreter that drives it.

A call runs as a generator (`Call.lifecycle`) that yields effects to the network's loop; see
`twiml_model` for the protocol. <Enqueue> lives in `twiml_queue`, <Dial> in `twiml_dial`.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET  # noqa: S405 - TwiML from the application under test
from collections.abc import Generator
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from hotline.telephony.twiml_dial import dial
from hotline.telephony.twiml_model import (
    WAIT_FOR_INPUT,
    CallerScript,
    Fetch,
    GatherPrompt,
    HungUp,
    LeftQueue,
    Redirected,
    Sleep,
    Source,
    TranscriptEvent,
    whole_seconds,
)
from hotline.telephony.twiml_queue import enqueue, new_sid
from hotline.telephony.twiml_webhooks import TwimlAnswer, TwimlError, WebhookExchange, country_of, parse_twiml

if TYPE_CHECKING:
    from hotline.telephony.twiml_runner import Network

Effects = Generator[Sleep | Fetch, object, object]

APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
STATUS_EVENTS = {"initiated": "initiated", "ringing": "ringing", "in-progress": "answered"}
WAIT_VERBS = frozenset({"Play", "Say", "Pause", "Hangup", "Redirect", "Leave", "Gather"})


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


class Call:
    """A call leg in the simulated network, with everything that happened on it."""

    def __init__(
        self,
        network: Network,
        sid: str,
        from_: str,
        to: str,
        direction: str,
        caller: CallerScript,
        *,
        start: Source | None = None,
        parent_sid: str | None = None,
        status_callback: str | None = None,
        status_callback_method: str = "POST",
        status_events: tuple[str, ...] = ("completed",),
        fallback: Source | None = None,
        ring_timeout: float = 60.0,
    ) -> None:
        self.network = network
        self.sid = sid
        self.account_sid = network.account_sid
        self.from_ = from_
        self.to = to
        self.direction = direction
        self.caller = caller
        self.start = start
        self.parent_sid = parent_sid
        self.status_callback = status_callback
        self.status_callback_method = status_callback_method
        self.status_events = frozenset(status_events)
        self.fallback = fallback
        self.ring_timeout = ring_timeout
        self.status = "queued"
        self.transcript: list[TranscriptEvent] = []
        self.created_at = network.now
        self.created_utc = network.now_utc()
        self.answered_at: float | None = None
        self.ended_at: float | None = None
        self.queue_sid: str | None = None
        self.waiting_for_input: GatherPrompt | None = None
        self.bridged_with: str | None = None
        self.hung_up_by: str | None = None
        self._generator: Effects | None = None
        self._wake_at: float | None = None
        self._elective = False
        self._alarm_at: float | None = None
        self._interrupt: BaseException | None = None
        self._input: str | None = None
        self._sequence = 0
        self._reject_status = "no-answer"

    def __repr__(self) -> str:
        return f"<Call {self.sid} {self.direction} {self.from_}->{self.to} {self.status}>"

    # What tests read.

    @property
    def said(self) -> list[str]:
        """Return the texts of every <Say> the party heard, in order."""
        return [event.text for event in self.transcript if event.kind == "say"]

    @property
    def errors(self) -> list[TranscriptEvent]:
        """Return the failures on this call (bad webhook answers, unsupported TwiML, application errors)."""
        return [event for event in self.transcript if event.is_error]

    @property
    def webhooks(self) -> list[TranscriptEvent]:
        """Return the TwiML requests made for this call."""
        return self.events("webhook")

    @property
    def is_live(self) -> bool:
        """Tell whether the call has not ended yet."""
        return self.status not in FINAL_STATUSES

    @property
    def duration(self) -> int:
        """Return the seconds from answer to end (0 if never answered)."""
        if self.answered_at is None:
            return 0
        end = self.ended_at if self.ended_at is not None else self.network.now
        return whole_seconds(end - self.answered_at)

    def events(self, kind: str) -> list[TranscriptEvent]:
        """Return the transcript events of one kind."""
        return [event for event in self.transcript if event.kind == kind]

    # What tests (or a browser simulator) do.

    def press(self, digits: str) -> None:
        """Press keys while the call waits for input at a <Gather>."""
        self.network.press(self.sid, digits)

    def stay_silent(self) -> None:
        """End the current <Gather> wait without pressing anything."""
        self.network.press(self.sid, "")

    def hang_up(self) -> None:
        """Hang up this party."""
        self.network.hang_up(self.sid)

    def run(self, max_steps: int = 10_000) -> None:
        """Run the network until nothing happens without an outside event."""
        self.network.run_until_idle(max_steps=max_steps)

    # Bookkeeping used by the interpreter and the network.

    def event(self, kind: str, **fields: object) -> TranscriptEvent:
        """Append an event to the transcript and return it."""
        event = TranscriptEvent(kind, self.network.now, **fields)  # type: ignore[arg-type]
        self.transcript.append(event)
        return event

    def params(self, extra: dict[str, str] | None = None, *, status: str | None = None) -> dict[str, str]:
        """Return Twilio's standard voice request parameters for this call, plus `extra`."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": status or self.status,
            "Called": self.to,
            "CalledCountry": country_of(self.to),
            "Caller": self.from_,
            "CallerCountry": country_of(self.from_),
            "Direction": self.direction,
            "From": self.from_,
            "FromCountry": country_of(self.from_),
            "To": self.to,
            "ToCountry": country_of(self.to),
        }
        if self.parent_sid:
            params["ParentCallSid"] = self.parent_sid
        params.update(extra or {})
        return params

    def set_status(self, status: str) -> None:
        """Move the call to a status and queue the status callback it subscribes to."""
        if status == self.status:
            return
        self.status = status
        if status == "in-progress":
            self.answered_at = self.network.now
            if self.caller.hangup_after_seconds is not None:
                self._alarm_at = self.network.now + self.caller.hangup_after_seconds
        if status in FINAL_STATUSES:
            self.ended_at = self.network.now
            self._alarm_at = None
            self.waiting_for_input = None
        self.event("status", text=status)
        subscription = "completed" if status in FINAL_STATUSES else STATUS_EVENTS.get(status)
        if self.status_callback and subscription in self.status_events:
            self.network.queue_callback(self, self.status_callback, self.status_callback_method, self._status_params())

    def _status_params(self) -> dict[str, str]:
        extra = {
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(self._sequence),
            "Timestamp": format_datetime(self.network.now_utc()),
        }
        self._sequence += 1
        if self.status in FINAL_STATUSES:
            extra["CallDuration"] = str(self.duration)
        return self.params(extra)

    def record_exchange(self, exchange: WebhookExchange, kind: str = "webhook") -> None:
        """Record a request to the application, and an error event if its answer was unusable."""
        self.event(
            kind,
            url=exchange.url,
            method=exchange.method,
            params=exchange.params,
            status_code=exchange.status_code,
            detail={"body": exchange.body[:4000]},
        )
        if not exchange.ok:
            self.event(
                "error",
                text=f"{kind} {exchange.url}: {exchange.error}",
                url=exchange.url,
                method=exchange.method,
                params=exchange.params,
                status_code=exchange.status_code,
                detail={"error_code": exchange.error_code, "body": exchange.body[:4000]},
            )

    def resolve(self, doc_url: str, url: str | None) -> str:
        """Resolve a URL found in TwiML against the URL of the document it came from."""
        if not url:
            return doc_url or self.network.webhooks.absolute("/")
        url = url.strip()
        if urlsplit(url).scheme:
            return url
        if not doc_url:
            self.event("error", text=f"relative URL {url!r} in inline TwiML: Twilio needs an absolute URL here")
            return self.network.webhooks.absolute(url)
        return urljoin(doc_url, url)

    def advance(self, value: object = None) -> Sleep | Fetch | None:
        """Resume the generator, or throw a pending interruption into it; return the next effect."""
        if self._generator is None:
            return None
        interrupt: BaseException | None = None
        if self._interrupt is not None:
            interrupt, self._interrupt = self._interrupt, None
        elif self._alarm_at is not None and self._alarm_at <= self.network.now:
            interrupt, self._alarm_at = HungUp("caller", self.sid), None
        try:
            if interrupt is not None:
                if isinstance(value, TwimlAnswer):
                    self.record_exchange(value.exchange)  # answered, but the call moved on meanwhile
                return self._generator.throw(interrupt)
            return self._generator.send(value)
        except StopIteration:
            self._generator = None
            return None

    # The interpreter.

    def lifecycle(self) -> Effects:
        """Ring, answer, follow TwiML until the call ends, then report the final status."""
        try:
            yield Sleep(0)
            unanswered = yield from self._connect()
            if unanswered:
                self.finish(unanswered)
                return
            source = self.start
            while source is not None:
                try:
                    source = yield from self.follow(source)
                except Redirected as redirect:
                    self.event("redirect", url=redirect.source.url, detail={"by": "api"})
                    source = redirect.source
            self.hung_up_by = "end-of-document"
            self.event("hangup", detail={"by": "end-of-document"})
        except HungUp as hung:
            self.hung_up_by = hung.by
            self.event("hangup", detail={"by": hung.by})
            if hung.by == "reject":
                self.finish(self._reject_status)
                return
            if self.answered_at is None:
                self.finish("canceled" if hung.by in ("api", "caller") else "failed")
                return
        self.finish("completed")

    def finish(self, status: str) -> None:
        """End the call with a final status (also used for <Dial> legs, which run no TwiML of their own)."""
        self.network.call_ending(self)
        self.set_status(status)

    def _connect(self) -> Effects:
        """Ring the called party; return None once answered, or the final status if never answered."""
        if self.direction == "inbound":
            self.set_status("ringing")
            return None
        self.set_status("initiated")
        self.set_status("ringing")
        party = self.caller
        if party.answer == "answered" and party.ring_seconds <= self.ring_timeout:
            yield Sleep(party.ring_seconds)
            self.set_status("in-progress")
            return None
        if party.answer == "busy":
            yield Sleep(self.network.timing.busy_seconds)
            return "busy"
        if party.answer == "failed":
            return "failed"
        yield Sleep(self.ring_timeout)
        return "no-answer"

    def follow(self, source: Source) -> Effects:
        """Load a document and execute it; return where control goes next (None: the document ended)."""
        root = yield from self.load(source)
        return (yield from self.execute(root, "" if source.twiml is not None else source.url))

    def load(self, source: Source) -> Effects:
        """Get a TwiML document, trying the fallback URL on failure; play the application error if all fail."""
        root: ET.Element | None = None
        error_code = 12100
        if source.twiml is not None:
            self.event("twiml", text=source.twiml)
            try:
                root = parse_twiml(source.twiml)
            except TwimlError as error:
                self.event("error", text=f"inline TwiML: {error}", detail={"error_code": error_code})
        else:
            answer = yield Fetch(source.url, source.method, self.params(source.params))
            assert isinstance(answer, TwimlAnswer)
            self.record_exchange(answer.exchange)
            root = answer.root
            error_code = answer.exchange.error_code or error_code
        if root is not None:
            if self.answered_at is None and self.direction == "inbound":
                if len(root) == 0 or root[0].tag != "Reject":
                    self.set_status("in-progress")
            return root
        if self.fallback is not None and not source.is_fallback:
            extra = {**source.params, "ErrorCode": str(error_code), "ErrorUrl": source.url}
            fallback = Source(self.fallback.url, self.fallback.method, extra, is_fallback=True)
            return (yield from self.load(fallback))
        if self.answered_at is None and self.direction == "inbound":
            self.set_status("in-progress")  # Twilio answers to play its error message
        self.event("application-error", text=APPLICATION_ERROR)
        yield Sleep(self.network.timing.say_seconds(APPLICATION_ERROR))
        raise HungUp("application-error", self.sid)

    def notify(self, source: Source, *, status: str | None = None) -> Effects:
        """Request an action URL whose TwiML Twilio ignores (the call is leaving or has ended)."""
        answer = yield Fetch(source.url, source.method, self.params(source.params, status=status))
        assert isinstance(answer, TwimlAnswer)
        self.record_exchange(answer.exchange)

    def execute(self, root: ET.Element, doc_url: str, *, in_queue: bool = False) -> Effects:
        """Execute a <Response>'s verbs; return the next Source, or None when the document runs out."""
        for verb in root:
            tag = verb.tag
            if in_queue and tag not in WAIT_VERBS:
                self.event("error", text=f"<{tag}> is not allowed in a wait URL document")
                continue
            if tag == "Say":
                yield from self.say(verb)
            elif tag == "Play":
                yield from self.play(verb)
            elif tag == "Pause":
                seconds = float(verb.get("length", "1"))
                self.event("pause", detail={"seconds": seconds})
                yield Sleep(seconds)
            elif tag == "Gather":
                following = yield from self.gather(verb, doc_url, in_queue=in_queue)
                if following is not None:
                    return following
            elif tag == "Redirect":
                url = self.resolve(doc_url, (verb.text or "").strip())
                self.event("redirect", url=url, detail={"by": "twiml"})
                return Source(url, verb.get("method", "POST").upper())
            elif tag == "Hangup":
                raise HungUp("twiml", self.sid)
            elif tag == "Reject":
                self.event("reject", text=verb.get("reason", "rejected"))
                if self.answered_at is None:
                    self._reject_status = "busy" if verb.get("reason") == "busy" else "no-answer"
                    raise HungUp("reject", self.sid)
                raise HungUp("twiml", self.sid)
            elif tag == "Leave":
                self.event("leave", detail={"in_queue": in_queue})
                if in_queue:
                    raise LeftQueue
            elif tag == "Enqueue":
                following = yield from enqueue(self, verb, doc_url)
                if following is not None:
                    return following
            elif tag == "Dial":
                following = yield from dial(self, verb, doc_url)
                if following is not None:
                    return following
            elif tag == "Record":
                following = yield from self.record(verb, doc_url)
                if following is not None:
                    return following
            elif tag in ("Sms", "Message"):
                self.send_message(verb)
            else:
                self.event("error", text=f"<{tag}> is not supported by the TwiML runner")
        return None

    def say(self, verb: ET.Element) -> Effects:
        """Speak a <Say> (its loop attribute repeats it; 0 repeats until something interrupts)."""
        text = "".join(verb.itertext()).strip()
        loop = int(verb.get("loop", "1"))
        detail = {"language": verb.get("language"), "voice": verb.get("voice"), "loop": loop}
        self.event("say", text=text, detail=detail)
        if loop == 0:
            yield Sleep(math.inf, elective=True)
        else:
            yield Sleep(self.network.timing.say_seconds(text) * loop)

    def play(self, verb: ET.Element) -> Effects:
        """Play a <Play> URL (or its DTMF digits)."""
        loop = int(verb.get("loop", "1"))
        if verb.get("digits"):
            self.event("play", digits=verb.get("digits"))
            yield Sleep(len(verb.get("digits", "")) * self.network.timing.digit_seconds)
            return
        url = (verb.text or "").strip()
        self.event("play", url=url, detail={"loop": loop})
        if loop == 0:
            yield Sleep(math.inf, elective=True)
        else:
            yield Sleep(self.network.timing.play_duration(url) * loop)

    def gather(self, verb: ET.Element, doc_url: str, *, in_queue: bool = False) -> Effects:
        """Play the nested prompts, take keys from the party, and return the action Source (or None)."""
        action = self.resolve(doc_url, verb.get("action"))
        method = verb.get("method", "POST").upper()
        timeout = float(verb.get("timeout", "5"))
        num_digits = int(verb.get("numDigits")) if verb.get("numDigits") else None
        finish_on_key = verb.get("finishOnKey", "#")
        on_empty = verb.get("actionOnEmptyResult", "false").lower() == "true"
        prompts: list[str] = []
        for child in verb:
            if child.tag == "Say":
                prompts.append("".join(child.itertext()).strip())
                yield from self.say(child)
            elif child.tag == "Play":
                yield from self.play(child)
            elif child.tag == "Pause":
                yield Sleep(float(child.get("length", "1")))
            else:
                self.event("error", text=f"<{child.tag}> cannot be nested in <Gather>")
        prompt = GatherPrompt(self.sid, tuple(prompts), num_digits, timeout, finish_on_key, action, in_queue)
        answer = self.caller.answer_gather(prompt)
        if answer is WAIT_FOR_INPUT:
            keys = yield from self._await_keys(prompt)
            digits, _complete = collect_digits(keys, num_digits, finish_on_key)
        else:
            keys = answer if isinstance(answer, str) else ""
            digits, complete = collect_digits(keys, num_digits, finish_on_key)
            if keys:
                yield Sleep(len(keys) * self.network.timing.digit_seconds)
            if not complete:
                yield Sleep(timeout)
        self.event("gather", digits=digits, url=action, detail={"prompts": prompts, "in_queue": in_queue})
        if digits or on_empty:
            return Source(action, method, {"Digits": digits})
        return None

    def _await_keys(self, prompt: GatherPrompt) -> Effects:
        """Wait (electively) for keys pressed through `press`, until complete, silent or timed out."""
        keys = ""
        self.waiting_for_input = prompt
        self.event("awaiting-input", detail={"timeout": prompt.timeout, "prompts": list(prompt.prompts)})
        try:
            while True:
                self._input = None
                yield Sleep(prompt.timeout, elective=True)
                pressed, self._input = self._input, None
                if not pressed:
                    return keys
                keys += pressed
                if collect_digits(keys, prompt.num_digits, prompt.finish_on_key)[1]:
                    return keys
        finally:
            self.waiting_for_input = None

    def record(self, verb: ET.Element, doc_url: str) -> Effects:
        """Record the party; request the action with the recording, and the recording status callback."""
        action = self.resolve(doc_url, verb.get("action"))
        method = verb.get("method", "POST").upper()
        timeout = float(verb.get("timeout", "5"))
        finish_on_key = verb.get("finishOnKey", "1234567890*#")
        max_length = float(verb.get("maxLength", "3600"))
        callback = verb.get("recordingStatusCallback")
        callback_url = self.resolve(doc_url, callback) if callback else None
        callback_method = verb.get("recordingStatusCallbackMethod", "POST").upper()
        callback_events = set(verb.get("recordingStatusCallbackEvent", "completed").replace(",", " ").split())
        timing = self.network.timing
        if verb.get("playBeep", "true").lower() != "false":
            self.event("beep")
            yield Sleep(timing.beep_seconds)
        spoken = self.caller.next_recording()
        seconds = min(max(spoken.seconds, 0.0), max_length)
        recording_sid = new_sid("RE")
        recording_url = f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}"
        started = format_datetime(self.network.now_utc())

        def queue_callback(status: str, delay: float = 0.0) -> None:
            if callback_url and status in callback_events:
                params = {
                    "AccountSid": self.account_sid,
                    "CallSid": self.sid,
                    "RecordingSid": recording_sid,
                    "RecordingUrl": recording_url,
                    "RecordingStatus": status,
                    "RecordingDuration": str(int(round(seconds))) if status == "completed" else "0",
                    "RecordingChannels": "1",
                    "RecordingStartTime": started,
                    "RecordingSource": "RecordVerb",
                }
                self.network.queue_callback(self, callback_url, callback_method, params, delay=delay)

        self.event("record", detail={"seconds": seconds, "finish_key": spoken.finish_key, "hang_up": spoken.hang_up})
        queue_callback("in-progress")
        yield Sleep(seconds)
        if spoken.hang_up:
            digits = "hangup"
        elif seconds < max_length and spoken.finish_key and spoken.finish_key in finish_on_key:
            digits = spoken.finish_key
        else:
            digits = ""
            if seconds < max_length:
                yield Sleep(timeout)
        duration = int(round(seconds))
        if duration == 0:
            self.event("record", text="empty recording: Twilio skips the action and goes on")
            queue_callback("absent")
            if spoken.hang_up:
                raise HungUp("caller", self.sid)
            return None
        self.network.add_recording(self, recording_sid, recording_url, duration, digits)
        params = {
            "RecordingUrl": recording_url,
            "RecordingDuration": str(duration),
            "RecordingSid": recording_sid,
            "Digits": digits,
        }
        queue_callback("completed", delay=timing.recording_ready_seconds)
        if spoken.hang_up:
            yield from self.notify(Source(action, method, params), status="completed")
            raise HungUp("caller", self.sid)
        return Source(action, method, params)

    def send_message(self, verb: ET.Element) -> None:
        """Send the SMS of a voice <Sms> or <Message> verb (to the caller unless `to` says otherwise)."""
        body_element = verb.find("Body")
        body = "".join((body_element if body_element is not None else verb).itertext()).strip()
        to = verb.get("to") or self.from_
        from_ = verb.get("from") or self.to
        message = self.network.add_message(to=to, from_=from_, body=body, direction="outbound-reply", call_sid=self.sid)
        self.event("message", text=body, detail={"to": to, "from": from_, "sid": message.sid})
