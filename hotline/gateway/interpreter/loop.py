"""The event loop of the simulated phone network: its clock, its run modes and its callbacks.

Calls are generators that yield `Sleep` and `Fetch` effects (see `model`). The loop
takes the earliest due event (a call waking up, a caller's planned hang-up, an asynchronous
callback), brings the virtual clock to it (sleeping only in realtime mode), and resumes the
call. Requests to the application are made without holding `lock`, so the application may
use the REST API (which takes the lock) while it answers a webhook.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from hotline.gateway.interpreter.model import Fetch, RunawayCallError, Sleep, TranscriptEvent
from hotline.gateway.interpreter.webhooks import WebhookExchange, WebhookSender

if TYPE_CHECKING:
    from hotline.gateway.interpreter.calls import Call


@dataclass
class PendingCallback:
    """An asynchronous callback waiting for its virtual time."""

    due: float
    order: int
    url: str
    method: str
    params: dict[str, str]
    call_sid: str | None


class EventLoop:
    """Clock, run loop and callback outbox; `Messaging` adds the messages, `Network` the calls and queues."""

    calls: dict[str, Call]
    log: list[TranscriptEvent]
    webhooks: WebhookSender

    def __init__(self, realtime: float | None, start_time: datetime | None) -> None:
        self.realtime = realtime
        self.callbacks: list[WebhookExchange] = []
        self.duplicate_callbacks = False
        self.hold_callbacks = False
        self.held_callbacks: list[PendingCallback] = []
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self._runner = threading.Lock()
        self._outbox: list[PendingCallback] = []
        self._delivering = 0  # callbacks taken from the outbox and not yet answered
        self._order = itertools.count()
        self._start_utc = start_time or datetime.now(UTC)
        self._clock = 0.0
        self._real_mark = time.monotonic()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # The clock.

    @property
    def now(self) -> float:
        """Return the virtual time in seconds since the network started."""
        if self.realtime:
            mark = time.monotonic()
            self._clock += (mark - self._real_mark) * self.realtime
            self._real_mark = mark
        return self._clock

    def now_utc(self) -> datetime:
        """Return the virtual time as an aware UTC datetime."""
        return self.utc_at(self.now)

    def utc_at(self, seconds: float) -> datetime:
        """Return the aware UTC datetime of a virtual time."""
        return self._start_utc + timedelta(seconds=seconds)

    # Running.

    def run_until_idle(self, max_steps: int = 10_000) -> None:
        """Run until every live call waits on something outside (a queue, input, an endless loop)."""
        self._run(until=None, idle_stop=True, max_steps=max_steps)

    def advance(self, seconds: float, max_steps: int = 100_000) -> None:
        """Let `seconds` of virtual time pass, processing everything due in it."""
        with self.lock:
            until = self.now + seconds
        self._run(until=until, idle_stop=False, max_steps=max_steps)

    def run_until(self, predicate: Callable[[], bool], max_steps: int = 10_000) -> bool:
        """Run until `predicate()` holds or the network is idle; return whether it holds."""
        self._run(until=None, idle_stop=True, max_steps=max_steps, predicate=predicate)
        with self.lock:
            return predicate()

    def start(self, speed: float | None = None) -> None:
        """Run the network in a background thread, in real time scaled by `speed`."""
        self.realtime = speed or self.realtime or 1.0
        self._real_mark = time.monotonic()
        self._stopping = False
        self._thread = threading.Thread(target=self._run_background, name="twiml-network", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread."""
        with self.lock:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def callbacks_pending(self) -> bool:
        """True while a callback waits in the outbox or is being delivered."""
        with self.lock:
            return bool(self._outbox) or self._delivering > 0

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Wait (in real time) for the background thread to make `predicate()` true."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def _run_background(self) -> None:
        self._run(until=None, idle_stop=False, max_steps=math.inf, background=True)  # type: ignore[arg-type]

    def _run(
        self,
        *,
        until: float | None,
        idle_stop: bool,
        max_steps: int,
        predicate: Callable[[], bool] | None = None,
        background: bool = False,
    ) -> None:
        if not self._runner.acquire(blocking=False):
            raise RuntimeError("the network is already being run by another thread")
        try:
            steps = 0
            while True:
                self._deliver_due_callbacks()
                with self.lock:
                    if (background and self._stopping) or (predicate is not None and predicate()):
                        return
                    event = self._next_event()
                    if idle_stop and not self._has_work():
                        return
                    due = event[0] if event else math.inf
                    if until is not None and due > until:
                        if self._wait(until):
                            self._clock = max(self._clock, until)
                            return
                        continue
                    if event is None:
                        if not background:
                            return
                        self._changed.wait()
                        continue
                    if not self._wait(due):
                        continue
                steps += 1 if event[2] is None else self._step(event[2], max_steps - steps)
                if steps > max_steps:
                    raise RunawayCallError(f"no rest after {max_steps} steps (a TwiML loop?)")
        finally:
            self._runner.release()

    def _wait(self, due: float) -> bool:
        """Bring the clock to `due` (sleeping in realtime mode); False if woken early."""
        if not self.realtime:
            self._clock = max(self._clock, due)
            return True
        remaining = (due - self.now) / self.realtime
        if remaining <= 0:
            return True
        self._changed.wait(None if math.isinf(remaining) else remaining)
        return self.now >= due

    def _next_event(self) -> tuple[float, bool, Call | None] | None:
        candidates: list[tuple[float, int, int, Call | None]] = [
            (callback.due, 0, callback.order, None) for callback in self._outbox
        ]
        for index, call in enumerate(self.calls.values()):
            if call._generator is None:
                continue
            if call._alarm_at is not None:
                candidates.append((call._alarm_at, 0, index, call))
            if call._wake_at is not None:
                candidates.append((call._wake_at, 1 if call._elective else 0, index, call))
        if not candidates:
            return None
        due, elective, _order, call = min(candidates, key=lambda item: item[:3])
        return due, bool(elective), call

    def _has_work(self) -> bool:
        if self._outbox:
            return True
        for call in self.calls.values():
            if call._generator is None:
                continue
            if call._alarm_at is not None or (call._wake_at is not None and not call._elective):
                return True
        return False

    def _step(self, call: Call, budget: float) -> int:
        """Resume a call until it sleeps or ends; return the steps taken (one, plus one per request)."""
        steps = 1
        with self.lock:
            call._wake_at = None
            effect = call.advance()
        while isinstance(effect, Fetch):
            steps += 1
            if steps > budget:
                raise RunawayCallError(f"{call.sid} keeps requesting TwiML without pause (a <Redirect> loop?)")
            answer = self.webhooks.fetch_twiml(effect.url, effect.method, effect.params)
            with self.lock:
                effect = call.advance(answer)
        with self.lock:
            if isinstance(effect, Sleep):
                call._wake_at, call._elective = self.now + effect.seconds, effect.elective
            self._changed.notify_all()
        return steps

    # Asynchronous callbacks.

    def queue_callback(
        self, call: Call | None, url: str, method: str, params: dict[str, str], *, delay: float = 0.0
    ) -> None:
        """Schedule an asynchronous callback (duplicated or held back when the test knobs say so)."""
        with self.lock:
            copies = 2 if self.duplicate_callbacks else 1
            for _ in range(copies):
                pending = PendingCallback(
                    self.now + delay, next(self._order), url, method.upper(), params, call.sid if call else None
                )
                (self.held_callbacks if self.hold_callbacks else self._outbox).append(pending)
            self._changed.notify_all()

    def release_callbacks(self, order: str = "reverse", seed: int | None = None) -> None:
        """Deliver held callbacks now, in 'reverse', 'shuffle' or 'as-is' order; stop holding new ones."""
        with self.lock:
            held, self.held_callbacks = self.held_callbacks, []
            self.hold_callbacks = False
            if order == "reverse":
                held.reverse()
            elif order == "shuffle":
                random.Random(seed).shuffle(held)
            for pending in held:
                pending.due, pending.order = self.now, next(self._order)
                self._outbox.append(pending)
            self._changed.notify_all()
        self._deliver_due_callbacks()

    def _deliver_due_callbacks(self) -> None:
        while True:
            with self.lock:
                due = [pending for pending in self._outbox if pending.due <= self.now]
                if not due:
                    return
                pending = min(due, key=lambda item: (item.due, item.order))
                self._outbox.remove(pending)
                self._delivering += 1
            try:
                exchange = self.webhooks.post_callback(pending.url, pending.method, pending.params)
            finally:
                with self.lock:
                    self._delivering -= 1
            with self.lock:
                self.callbacks.append(exchange)
                call = self.calls.get(pending.call_sid or "")
                if call is not None:
                    call.record_exchange(exchange, kind="callback")
                else:
                    self._log_exchange(exchange, "callback")
                self._callback_delivered(pending)
                self._changed.notify_all()

    def _log_exchange(self, exchange: WebhookExchange, kind: str) -> None:
        self.log.extend(exchange.transcript_events(kind, self.now))

    def _callback_delivered(self, pending: PendingCallback) -> None:
        """React to a delivered callback (Messaging updates message statuses)."""
