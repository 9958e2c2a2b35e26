"""One simulated voice call and the TwiML interpreter that drives it.

A call runs as a generator (`Call.lifecycle`) that yields effects to the network's loop; see
`model` for the protocol. Its state and transcript live in `legs`; Say, Play,
Gather, Record and Sms in `verbs`, <Enqueue> in `queues`, <Dial> in `dial`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - TwiML from the application under test

from hotline.gateway.interpreter.dial import dial, live_status, ring_live
from hotline.gateway.interpreter.legs import CallLeg, Effects
from hotline.gateway.interpreter.model import BUSY_SECONDS, Fetch, HungUp, LeftQueue, Redirected, Sleep, Source
from hotline.gateway.interpreter.queues import enqueue
from hotline.gateway.interpreter.verbs import gather, play, record, say, send_message
from hotline.gateway.interpreter.webhooks import TwimlAnswer, TwimlError, parse_twiml
from hotline.gateway.media.backend import Prompt

APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
WAIT_VERBS = frozenset({"Play", "Say", "Pause", "Hangup", "Redirect", "Leave", "Gather"})


class Call(CallLeg):
    """A call leg in the simulated network, driven by the TwiML it is given (a <Dial> leg runs none)."""

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
            yield Sleep(BUSY_SECONDS)
            return "busy"
        if party.answer == "failed":
            return "failed"
        if party.answer == "ringing":
            # A live phone (a SIP leg) answers when it answers: wait for it, woken as its answer comes.
            answered = yield from ring_live(self, [self], self.ring_timeout)
            if answered is None:
                return live_status([party.answer])
            self.set_status("in-progress")
            return None
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
        yield Sleep(self.network.media.play(self, Prompt("say", text=APPLICATION_ERROR)))
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
                yield from say(self, verb)
            elif tag == "Play":
                yield from play(self, verb)
            elif tag == "Pause":
                seconds = float(verb.get("length", "1"))
                self.event("pause", detail={"seconds": seconds})
                yield Sleep(seconds)
            elif tag == "Gather":
                following = yield from gather(self, verb, doc_url, in_queue=in_queue)
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
                following = yield from record(self, verb, doc_url)
                if following is not None:
                    return following
            elif tag in ("Sms", "Message"):
                send_message(self, verb)
            else:
                self.event("error", text=f"<{tag}> is not supported by the TwiML runner")
        return None
