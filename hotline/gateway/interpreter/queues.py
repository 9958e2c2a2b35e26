"""Call queues of the simulated network, and the <Enqueue> verb that waits in them.

Twilio's documented behaviour, as implemented here:
- <Enqueue> creates its queue on demand; a full queue answers QueueResult=queue-full at once.
- While waiting, the waitUrl document runs again and again (only Play, Say, Pause, Gather,
  Redirect, Leave and Hangup are allowed in it); each request carries QueueSid, QueueTime,
  QueuePosition, CurrentQueueSize, AvgQueueTime and MaxQueueSize.
- The action URL gets QueueResult, QueueSid and QueueTime when the call leaves the queue:
  `leave` (a <Leave>; the action's TwiML continues the call), `hangup` (the caller hung up;
  the request is made but its TwiML is moot), `redirected` (a REST update of the member or of
  the call; the action is requested right away but the call goes on with the new URL's TwiML).
  Without an action the call falls through to the verb after <Enqueue>.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET  # noqa: S405 - TwiML from the application under test
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from hotline.gateway.interpreter.model import (
    MIN_WAIT_ROUND_SECONDS,
    HungUp,
    LeftQueue,
    Redirected,
    Sleep,
    Source,
    whole_seconds,
)
from hotline.gateway.media.backend import Prompt

if TYPE_CHECKING:
    from hotline.gateway.interpreter.calls import Call
    from hotline.gateway.interpreter.model import Fetch

DEFAULT_MAX_SIZE = 1000


def new_sid(prefix: str) -> str:
    """Return a fresh Twilio-style sid: a two-letter prefix and 32 hex digits."""
    return prefix + secrets.token_hex(16)


@dataclass
class QueueMember:
    """A call waiting in a queue."""

    call_sid: str
    enqueued_at: float
    enqueued_utc: datetime


@dataclass
class CallQueue:
    """A named FIFO queue of calls."""

    sid: str
    friendly_name: str
    created_utc: datetime
    max_size: int = DEFAULT_MAX_SIZE
    members: list[QueueMember] = field(default_factory=list)
    dequeued: set[str] = field(default_factory=set)

    @property
    def call_sids(self) -> list[str]:
        """Return the waiting calls' sids, front first."""
        return [member.call_sid for member in self.members]

    @property
    def is_full(self) -> bool:
        """Tell whether another call would be refused."""
        return len(self.members) >= self.max_size

    def member(self, call_sid: str) -> QueueMember | None:
        """Return the member for a call sid, or the front member for 'Front'."""
        if call_sid == "Front":
            return self.members[0] if self.members else None
        return next((member for member in self.members if member.call_sid == call_sid), None)

    def position(self, call_sid: str) -> int:
        """Return a call's 1-based position (0 when it is not waiting here)."""
        for index, member in enumerate(self.members, start=1):
            if member.call_sid == call_sid:
                return index
        return 0

    def add(self, call_sid: str, now: float, now_utc: datetime) -> QueueMember:
        """Put a call at the back of the queue."""
        member = QueueMember(call_sid, now, now_utc)
        self.members.append(member)
        self.dequeued.discard(call_sid)
        return member

    def remove(self, call_sid: str, *, dequeued: bool = False) -> QueueMember | None:
        """Take a call out of the queue (idempotent); remember REST dequeues to refuse a second one."""
        member = self.member(call_sid) if call_sid != "Front" else None
        if member is not None:
            self.members.remove(member)
            if dequeued:
                self.dequeued.add(call_sid)
        return member

    def average_wait(self, now: float) -> int:
        """Return the average seconds the current members have waited."""
        if not self.members:
            return 0
        return whole_seconds(sum(now - member.enqueued_at for member in self.members) / len(self.members))

    def wait_params(self, call_sid: str, now: float) -> dict[str, str]:
        """Return the parameters Twilio adds to a waitUrl request."""
        member = self.member(call_sid)
        waited = whole_seconds(now - member.enqueued_at) if member else 0
        return {
            "QueueSid": self.sid,
            "QueueTime": str(waited),
            "QueuePosition": str(self.position(call_sid)),
            "CurrentQueueSize": str(len(self.members)),
            "AvgQueueTime": str(self.average_wait(now)),
            "MaxQueueSize": str(self.max_size),
        }


class QueueRegistry:
    """The account's queues, by friendly name and by sid."""

    def __init__(self, default_max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.default_max_size = default_max_size
        self._by_name: dict[str, CallQueue] = {}

    def __iter__(self) -> Iterator[CallQueue]:
        return iter(list(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> CallQueue:
        return self._by_name[name]

    def by_sid(self, sid: str) -> CallQueue | None:
        """Return the queue with this sid, if any."""
        return next((queue for queue in self._by_name.values() if queue.sid == sid), None)

    def create(self, friendly_name: str, now_utc: datetime, max_size: int | None = None) -> CallQueue:
        """Create a queue (or return the one with this name)."""
        queue = self._by_name.get(friendly_name)
        if queue is None:
            queue = CallQueue(new_sid("QU"), friendly_name, now_utc, max_size or self.default_max_size)
            self._by_name[friendly_name] = queue
        elif max_size:
            queue.max_size = max_size
        return queue

    def find_member(self, call_sid: str) -> tuple[CallQueue, QueueMember] | None:
        """Return the queue a call waits in and its membership."""
        for queue in self._by_name.values():
            member = queue.member(call_sid)
            if member is not None:
                return queue, member
        return None


def enqueue(call: Call, verb: ET.Element, doc_url: str) -> Generator[Sleep | Fetch, object, Source | None]:
    """Run <Enqueue>: wait in the named queue, running the wait URL, until something takes the call out."""
    network = call.network
    name = (verb.text or "").strip()
    action = call.resolve(doc_url, verb.get("action")) if verb.get("action") else None
    method = verb.get("method", "POST").upper()
    wait_url = call.resolve(doc_url, verb.get("waitUrl")) if verb.get("waitUrl") else None
    wait_method = verb.get("waitUrlMethod", "POST").upper()
    queue = network.queues.create(name, network.now_utc())
    if queue.is_full:
        call.event("enqueue", text=name, detail={"queue_sid": queue.sid, "result": "queue-full"})
        return Source(action, method, {"QueueResult": "queue-full"}) if action else None
    member = queue.add(call.sid, network.now, network.now_utc())
    call.queue_sid = queue.sid
    call.event("enqueue", text=name, detail={"queue_sid": queue.sid, "position": queue.position(call.sid)})
    planned_rounds = call.caller.hangup_in_queue_after_rounds
    elective = planned_rounds is None
    rounds = 0

    def leave(result: str) -> dict[str, str]:
        queue.remove(call.sid)
        call.queue_sid = None
        waited = whole_seconds(network.now - member.enqueued_at)
        call.event("dequeue", text=result, detail={"queue_sid": queue.sid, "queue_time": waited, "rounds": rounds})
        return {"QueueResult": result, "QueueSid": queue.sid, "QueueTime": str(waited)}

    try:
        while True:
            if planned_rounds is not None and rounds >= planned_rounds:
                raise HungUp("caller", call.sid)
            started = network.now
            params = queue.wait_params(call.sid, network.now)
            call.event("queue-wait", url=wait_url or "", detail={"round": rounds + 1, **params})
            if wait_url:
                source: Source | None = Source(wait_url, wait_method, params)
                while source is not None:
                    root = yield from call.load(source)
                    source = yield from call.execute(root, source.url, in_queue=True)
                    if source is not None:
                        fresh = queue.wait_params(call.sid, network.now)
                        source = Source(source.url, source.method, {**fresh, **source.params})
            else:
                call.event("play", text="default hold music")
                yield Sleep(network.media.play(call, Prompt("hold-music")), elective=elective)
            rounds += 1
            gap = max(0.0, MIN_WAIT_ROUND_SECONDS - (network.now - started))
            yield Sleep(gap, elective=elective)  # a round boundary: the call holds here
    except LeftQueue:
        params = leave("leave")
    except HungUp as hung:
        params = leave("system-error" if hung.by == "application-error" else "hangup")
        if action:
            yield from call.notify(Source(action, method, params), status="completed")
        raise
    except Redirected:
        params = leave("redirected")
        if action:
            yield from call.notify(Source(action, method, params))
        raise
    finally:
        queue.remove(call.sid)
    return Source(action, method, params) if action else None
