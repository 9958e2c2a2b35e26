"""The gateway's phone network: it plays Twilio's side of calls and SMS against a web app.

`Network` posts signed, form-encoded webhooks to the application exactly as Twilio does,
interprets the TwiML it answers (Say, Play, Pause, Gather, Redirect, Enqueue/Leave, Dial,
Record, Hangup, Reject, Sms/Message), keeps a transcript of every call, and holds the
account's queues, conferences, messages and recordings, on which the gateway's
Twilio-compatible REST server (`hotline.gateway.rest`) acts. What the parties hear and do
comes from its media backend (`hotline.gateway.media`).

Time is virtual: prompts, pauses, ringing and queue rounds advance the network's clock, never
the wall clock, unless `realtime` (a speed factor) is set. Driving it from a test:

- `run_until_idle()` runs until nothing more happens without an outside event: every live
  call is holding in a queue at a wait-round boundary, waiting for `Call.press`, or playing
  an endless loop. Events are processed in time order, so a held call keeps running wait
  rounds while other calls make the clock move.
- `advance(seconds)` lets that much virtual time pass (queue rounds repeat, Gather timeouts
  fire).
- `start()` runs the network in a background thread in real time (browser simulator, load).

REST-side changes (`update_call`, `redirect_queued_call`, `hang_up`, `press`) only mark the
call; the loop delivers them, never holding the network's lock during HTTP, so the app may
call the REST API from inside a webhook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import format_datetime

import requests

from hotline.gateway.interpreter.calls import Call
from hotline.gateway.interpreter.conferences import Conference, ConferenceRegistry, Participant
from hotline.gateway.interpreter.dial import DialTarget
from hotline.gateway.interpreter.messages import Message, Messaging, Recording, WebhookError
from hotline.gateway.interpreter.model import (
    CallStateError,
    HungUp,
    LeftConference,
    LegEnded,
    NotInQueueError,
    Redirected,
    RunawayCallError,
    Sleep,
    Source,
    TranscriptEvent,
    UnknownCallError,
)
from hotline.gateway.interpreter.queues import CallQueue, QueueMember, QueueRegistry, new_sid
from hotline.gateway.interpreter.webhooks import WebhookSender
from hotline.gateway.media.backend import WAIT_FOR_INPUT, GatherPrompt, MediaBackend, Party, Prompt, RecordingInput
from hotline.gateway.media.simulated import CallerScript, SimulatedMedia, Timing

__all__ = [
    "WAIT_FOR_INPUT",
    "Call",
    "CallQueue",
    "CallStateError",
    "CallerScript",
    "GatherPrompt",
    "Message",
    "Network",
    "NotInQueueError",
    "QueueMember",
    "RecordingInput",
    "Recording",
    "RunawayCallError",
    "Timing",
    "TranscriptEvent",
    "UnknownCallError",
    "WebhookError",
]


class Network(Messaging):
    """Twilio's side of the phone network, against one application, on a virtual clock.

    URLs may be given relative to `public_base_url` (what the app signs and writes in its
    TwiML); requests really go to `app_base_url`. `status_callback_url` is the number's
    status callback: like Twilio's, it reports only the final status of inbound calls unless
    `inbound_status_events` asks for more ("initiated", "ringing", "answered", "completed").
    `callees` scripts the parties the network rings (REST calls, <Dial>), by number or
    ``client:<identity>``; others use `default_callee`. Test knobs: `duplicate_callbacks`,
    `hold_callbacks` + `release_callbacks()`.
    """

    def __init__(
        self,
        app_base_url: str,
        public_base_url: str,
        auth_token: str,
        account_sid: str,
        voice_url: str = "/twilio/voice/incoming",
        *,
        voice_method: str = "POST",
        status_callback_url: str | None = None,
        status_callback_method: str = "POST",
        fallback_url: str | None = None,
        fallback_method: str = "POST",
        sms_url: str | None = None,
        sms_method: str = "POST",
        http: requests.Session | None = None,
        media: MediaBackend | None = None,
        timing: Timing | None = None,
        realtime: float | None = None,
        start_time: datetime | None = None,
        inbound_status_events: Iterable[str] = ("completed",),
        webhook_timeout: float = 15.0,
        max_queue_size: int = 1000,
    ) -> None:
        super().__init__(realtime, start_time)
        self._own_http = http is None
        self.webhooks = WebhookSender(
            app_base_url, public_base_url, auth_token, http or requests.Session(), webhook_timeout
        )
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.voice = Source(self.webhooks.absolute(voice_url), voice_method.upper())
        self.fallback = Source(self.webhooks.absolute(fallback_url), fallback_method.upper()) if fallback_url else None
        self.status_callback_url = self.webhooks.absolute(status_callback_url) if status_callback_url else None
        self.status_callback_method = status_callback_method.upper()
        self.sms = Source(self.webhooks.absolute(sms_url), sms_method.upper()) if sms_url else None
        self.media: MediaBackend = media or SimulatedMedia(timing)
        self.inbound_status_events = tuple(inbound_status_events)
        self.calls: dict[str, Call] = {}
        self.queues = QueueRegistry(max_queue_size)
        self.messages: list[Message] = []
        self.recordings: list[Recording] = []
        self.conferences = ConferenceRegistry()
        self.recording_files: dict[str, str] = {}  # call sid (then recording sid) -> WAV file of a live <Record>
        self.log: list[TranscriptEvent] = []
        self.on_status: Callable[[Call], None] | None = None  # told of every status change (the lock held)

    # Making calls.

    def dial_in(
        self,
        from_: str,
        to: str,
        caller: Party | None = None,
        *,
        voice_url: str | None = None,
        status_events: Iterable[str] | None = None,
    ) -> Call:
        """Start an inbound call from `from_` to the number `to`; its first webhook goes out on the next run."""
        start = Source(self.webhooks.absolute(voice_url), self.voice.method) if voice_url else self.voice
        with self.lock:
            call = Call(
                self,
                new_sid("CA"),
                from_,
                to,
                "inbound",
                caller or CallerScript(),
                start=start,
                status_callback=self.status_callback_url,
                status_callback_method=self.status_callback_method,
                status_events=tuple(status_events or self.inbound_status_events),
                fallback=self.fallback,
            )
            self._launch(call)
        return call

    def create_call(
        self,
        to: str,
        from_: str,
        *,
        url: str | None = None,
        twiml: str | None = None,
        method: str = "POST",
        status_callback: str | None = None,
        status_callback_event: Iterable[str] | None = None,
        status_callback_method: str = "POST",
        fallback_url: str | None = None,
        fallback_method: str = "POST",
        timeout: float = 60.0,
        callee: Party | None = None,
    ) -> Call:
        """Place an outbound call as the REST API does; the callee's script decides how it answers."""
        if twiml is None and not url:
            raise ValueError("an outbound call needs url or twiml")
        start = (
            Source("", "POST", twiml=twiml)
            if twiml is not None
            else Source(self.webhooks.absolute(url or ""), method.upper())
        )
        with self.lock:
            call = Call(
                self,
                new_sid("CA"),
                from_,
                to,
                "outbound-api",
                callee or self.callee_for(to),
                start=start,
                status_callback=self.webhooks.absolute(status_callback) if status_callback else None,
                status_callback_method=status_callback_method.upper(),
                status_events=tuple(status_callback_event or ("completed",)),
                fallback=Source(self.webhooks.absolute(fallback_url), fallback_method.upper())
                if fallback_url
                else None,
                ring_timeout=timeout,
            )
            self._launch(call)
        return call

    def callee_for(self, address: str) -> Party:
        """Return the party the media answers with when the network rings a number or ``client:<identity>``."""
        return self.media.place_leg(address)

    # Knobs of the simulated media (the default backend).

    @property
    def timing(self) -> Timing:
        """Return the simulated media's durations."""
        return self._simulated().timing

    @property
    def callees(self) -> dict[str, CallerScript]:
        """Return the simulated media's scripts for the parties the network rings, by address."""
        return self._simulated().callees

    @property
    def default_callee(self) -> CallerScript:
        """Return the script of a rung party without one of its own."""
        return self._simulated().default_callee

    @default_callee.setter
    def default_callee(self, script: CallerScript) -> None:
        self._simulated().default_callee = script

    def _simulated(self) -> SimulatedMedia:
        if not isinstance(self.media, SimulatedMedia):
            raise TypeError("scripts and timing belong to the simulated media; this network has another backend")
        return self.media

    def create_leg(self, parent: Call, target: DialTarget, caller_id: str) -> Call:
        """Create the child call a <Dial> noun rings (it runs no TwiML of its own)."""
        leg = Call(
            self,
            new_sid("CA"),
            caller_id,
            target.address,
            "outbound-dial",
            self.callee_for(target.address),
            parent_sid=parent.sid,
            status_callback=target.status_callback,
            status_callback_method=target.status_callback_method,
            status_events=target.status_events,
        )
        self.calls[leg.sid] = leg
        leg.set_status("initiated")
        leg.set_status("ringing")
        return leg

    def _launch(self, call: Call) -> None:
        self.calls[call.sid] = call
        call._generator = call.lifecycle()
        first = next(call._generator)
        assert isinstance(first, Sleep)
        call._wake_at, call._elective = self.now, False
        self._changed.notify_all()

    def call_ending(self, call: Call) -> None:
        """Forget a call that is ending in queues and conference rooms."""
        for queue in self.queues:
            queue.remove(call.sid)
        conference = self.conferences.of_call(call.sid)
        if conference is not None:
            self.leave_conference(conference, call.sid)

    # Conferences.

    def leave_conference(self, conference: Conference, call_sid: str) -> None:
        """Take a participant out; the conference ends when it was the last, or ends on its exit."""
        participant = conference.participants.pop(call_sid, None)
        if participant is None:
            return
        conference.updated_utc = self.now_utc()
        self.conference_event(conference, "leave", "participant-leave", participant)
        if conference.is_live and (participant.end_conference_on_exit or not conference.participants):
            self.end_conference(conference)

    def end_conference(self, conference: Conference) -> None:
        """End a conference: every participant leaves it and goes on with its TwiML."""
        conference.status, conference.updated_utc = "completed", self.now_utc()
        self.conference_event(conference, "end", "conference-end", None)
        for call_sid in list(conference.participants):
            if call_sid in self.calls:
                self._interrupt(self.calls[call_sid], LeftConference("conference-ended"))

    def remove_participant(self, conference: Conference, call_sid: str) -> None:
        """Take a participant out of a conference as the REST API's DELETE does (its call goes on)."""
        if call_sid not in conference.participants:
            raise NotInQueueError(f"{call_sid} is not in conference {conference.sid}")
        self._interrupt(self.call(call_sid), LeftConference("removed"))

    def mute_participant(self, conference: Conference, call_sid: str, muted: bool) -> Participant:
        """Mute or unmute a participant as the REST API's update does."""
        participant = conference.participants.get(call_sid)
        if participant is None:
            raise NotInQueueError(f"{call_sid} is not in conference {conference.sid}")
        participant.muted = muted
        conference.updated_utc = self.now_utc()
        call = self.call(call_sid)
        self.media.conference(call, conference.sid, muted or participant.hold, participant.coach, participant.hold)
        call.event("conference-mute", text=conference.friendly_name, detail={"muted": muted})
        self.conference_event(conference, "mute", "participant-mute" if muted else "participant-unmute", participant)
        return participant

    def hold_participant(
        self, conference: Conference, call_sid: str, hold: bool, hold_url: str | None = None
    ) -> Participant:
        """Put a participant on hold (not heard, hearing hold music) or take it off, as the REST update does."""
        participant = conference.participants.get(call_sid)
        if participant is None:
            raise NotInQueueError(f"{call_sid} is not in conference {conference.sid}")
        if participant.hold == hold:
            return participant
        participant.hold, participant.hold_url = hold, (hold_url if hold else None)
        conference.updated_utc = self.now_utc()
        call = self.call(call_sid)
        self.media.conference(call, conference.sid, participant.muted or hold, participant.coach, hold)
        if hold:
            self.media.play(call, Prompt("hold-music", url=hold_url or "", loop=0))
        else:
            self.media.stop(call)
        call.event("conference-hold", text=conference.friendly_name, detail={"hold": hold, "hold_url": hold_url})
        self.conference_event(conference, "hold", "participant-hold" if hold else "participant-unhold", participant)
        return participant

    def conference_event(
        self, conference: Conference, subscription: str, event: str, participant: Participant | None
    ) -> None:
        """Post the conference's status callback for this event when its first participant asked for it."""
        if not conference.status_callback or subscription not in conference.status_callback_events:
            return
        params = {
            "AccountSid": self.account_sid,
            "ConferenceSid": conference.sid,
            "FriendlyName": conference.friendly_name,
            "StatusCallbackEvent": event,
            "SequenceNumber": str(conference.sequence),
            "Timestamp": format_datetime(self.now_utc()),
        }
        conference.sequence += 1
        if participant is not None:
            params |= {
                "CallSid": participant.call_sid,
                "Muted": str(participant.muted).lower(),
                "Hold": str(participant.hold).lower(),
                "Coaching": str(participant.coach is not None).lower(),
                "EndConferenceOnExit": str(participant.end_conference_on_exit).lower(),
                "StartConferenceOnEnter": str(participant.start_conference_on_enter).lower(),
            }
        call = self.calls.get(participant.call_sid) if participant is not None else None
        self.queue_callback(call, conference.status_callback, conference.status_callback_method, params)

    # Outside events: what the REST API, the caller or a browser do to a call.

    def call(self, call_sid: str) -> Call:
        """Return the call with this sid."""
        with self.lock:
            try:
                return self.calls[call_sid]
            except KeyError:
                raise UnknownCallError(call_sid) from None

    def update_call(
        self,
        call_sid: str,
        *,
        url: str | None = None,
        method: str = "POST",
        twiml: str | None = None,
        status: str | None = None,
    ) -> Call:
        """Modify a live call as the REST API does: end it, or send it to new TwiML (leaving any queue)."""
        with self.lock:
            call = self.call(call_sid)
            if status in ("completed", "canceled"):
                if call.is_live and not (status == "canceled" and call.answered_at is not None):
                    self._end_from_outside(call, "api")
                return call
            if url is None and twiml is None:
                return call
            if not call.is_live or call.answered_at is None:
                raise CallStateError(f"Call {call_sid} is not in-progress. Cannot redirect.")
            source = (
                Source("", "POST", twiml=twiml)
                if twiml is not None
                else Source(self.webhooks.absolute(url or ""), method.upper())
            )
            if call._generator is None:
                self._end_from_outside(call, "api")  # a <Dial> leg: redirecting it ends the bridge
                return call
            found = self.queues.find_member(call_sid)
            if found is not None:
                found[0].remove(call_sid, dequeued=True)
            self._interrupt(call, Redirected(source))
            return call

    def redirect_queued_call(
        self, call_sid: str, url: str, method: str = "POST", *, queue_sid: str | None = None
    ) -> QueueMember:
        """Dequeue a member (by call sid, or 'Front' with queue_sid) and send it to new TwiML."""
        with self.lock:
            if queue_sid is not None:
                queue = self.queues.by_sid(queue_sid)
                if queue is None:
                    raise NotInQueueError(f"queue {queue_sid} not found")
                if call_sid in queue.dequeued:
                    raise NotInQueueError(f"{call_sid} was already dequeued", already_dequeued=True)
                member = queue.member(call_sid)
            else:
                found = self.queues.find_member(call_sid)
                queue, member = found if found else (None, None)
            if queue is None or member is None:
                raise NotInQueueError(f"{call_sid} is not waiting in a queue")
            queue.remove(member.call_sid, dequeued=True)
            self._interrupt(
                self.calls[member.call_sid], Redirected(Source(self.webhooks.absolute(url), method.upper()))
            )
            return member

    def hang_up(self, call_sid: str) -> None:
        """Hang up a party: the caller of a call, or the called party of a <Dial> leg."""
        with self.lock:
            call = self.call(call_sid)
            if call.is_live:
                self._end_from_outside(call, "caller")

    def press(self, call_sid: str, digits: str) -> None:
        """Deliver keys to a call waiting for input at a <Gather> ('' ends the wait in silence)."""
        with self.lock:
            call = self.call(call_sid)
            if call.waiting_for_input is None:
                raise CallStateError(f"{call_sid} is not waiting for input")
            call._input = (call._input or "") + digits  # keys a live phone sends one by one add up
            call._wake_at, call._elective = self.now, False
            self._changed.notify_all()

    def recorded(self, call_sid: str, spoken: RecordingInput, path: str | None = None) -> None:
        """A live <Record> ended (a key, silence, the limit, a hang-up); `path` holds its audio."""
        with self.lock:
            call = self.call(call_sid)
            if path:
                self.recording_files[call_sid] = path
            call._recorded = spoken
            call._wake_at, call._elective = self.now, False
            self._changed.notify_all()

    def party_changed(self, call_sid: str) -> None:
        """A live party answered or refused: wake the call ringing it (the leg itself, or its <Dial>)."""
        with self.lock:
            call = self.calls.get(call_sid)
            if call is None:
                return
            ringing = call if call._ringing else self.calls.get(call.parent_sid or "")
            if ringing is not None and ringing._ringing and ringing._generator is not None:
                ringing._wake_at, ringing._elective = self.now, False
                self._changed.notify_all()

    def _end_from_outside(self, call: Call, by: str) -> None:
        if call._generator is not None:
            self._interrupt(call, HungUp(by, call.sid))
        elif call.bridged_with and call.bridged_with in self.calls:
            self._interrupt(self.calls[call.bridged_with], LegEnded(call.sid))
        else:
            call.finish("canceled" if call.answered_at is None else "completed")

    def _interrupt(self, call: Call, interrupt: BaseException) -> None:
        if not isinstance(call._interrupt, HungUp):
            call._interrupt = interrupt
        call._wake_at, call._elective = self.now, False
        self._changed.notify_all()

    def close(self) -> None:
        """Stop the background thread and close the HTTP session the network created."""
        self.stop()
        if self._own_http:
            self.webhooks.http.close()

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Reports.

    @property
    def errors(self) -> list[TranscriptEvent]:
        """Return every failure on every call and in the SMS and callback log."""
        with self.lock:
            found = [event for call in self.calls.values() for event in call.errors]
            return found + [event for event in self.log if event.is_error]

    def settled(self) -> bool:
        """True when every call has ended and every callback has been delivered."""
        with self.lock:
            return not self.callbacks_pending() and not any(call.is_live for call in self.calls.values())

    def wait_settled(self, timeout: float) -> bool:
        """Wait (in real time, the network running) until `settled()`; return whether it is."""
        return self.wait_until(self.settled, timeout)

    def live_calls(self) -> list[Call]:
        """Return the calls that have not ended."""
        with self.lock:
            return [call for call in self.calls.values() if call.is_live]
