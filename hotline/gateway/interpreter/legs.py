"""A simulated call leg's state and transcript: what tests read and do, and what Twilio reports about it.

`CallLeg` holds a call's status, its transcript, the request parameters and status
callbacks Twilio sends for it, and the buttons a test presses (press, hang up, run).
`calls.Call` adds the TwiML interpreter that drives it.
"""

from __future__ import annotations

from collections.abc import Generator
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from hotline.gateway.interpreter.model import Fetch, Sleep, Source, TranscriptEvent, whole_seconds
from hotline.gateway.interpreter.webhooks import WebhookExchange, country_of
from hotline.gateway.media.backend import GatherPrompt, Party

if TYPE_CHECKING:
    from hotline.gateway.interpreter.network import Network

Effects = Generator[Sleep | Fetch, object, object]

FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
STATUS_EVENTS = {"initiated": "initiated", "ringing": "ringing", "in-progress": "answered"}


class CallLeg:
    """A call leg in the simulated network, with everything that happened on it (`Call` runs its TwiML)."""

    def __init__(
        self,
        network: Network,
        sid: str,
        from_: str,
        to: str,
        direction: str,
        caller: Party,
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
        self._ringing = False  # waiting for a live party (a SIP phone) to answer
        self._recorded: object = None  # what a live <Record> got, from `Network.recorded`

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
        if self.network.on_status is not None:
            self.network.on_status(self)

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
        self.transcript.extend(exchange.transcript_events(kind, self.network.now))

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

    def finish(self, status: str) -> None:
        """End the call with a final status (also used for <Dial> legs, which run no TwiML of their own)."""
        self.network.call_ending(self)
        self.set_status(status)
        self.network.media.release(self)
