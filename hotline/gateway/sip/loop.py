"""The one thread that owns PJSIP: every pjsua2 call runs on it, in order.

pjsua2-python is safe only when one thread drives the library. `PjLoop` creates the
`Endpoint` on its own thread with no PJSIP worker threads (`threadCnt = 0`,
`mainThreadOnly`), polls SIP events there, and runs whatever other threads hand it
with `call()` between polls. SIP callbacks (incoming calls, call state, SIP INFO
digits) therefore arrive on this thread; RTP callbacks (RFC 2833 digits) arrive on PJSIP's
media thread and only set Python events. No object whose callback PJSIP could still call
is ever destroyed: players are pjsua's (no callback at all, `audio.Player`), and a call is
destroyed only after its DISCONNECTED state, one loop turn later (`defer`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import pjsua2 as pj

log = logging.getLogger(__name__)
T = TypeVar("T")
POLL_MS = 10


class LoopStopped(RuntimeError):
    """The PJSIP thread is not running (not started, failed to start, or stopped)."""


class PjLoop:
    """A dedicated thread that creates, drives and destroys one pjsua2 Endpoint."""

    def __init__(self, setup: Callable[[pj.Endpoint], None], teardown: Callable[[pj.Endpoint], None]) -> None:
        self._setup = setup
        self._teardown = teardown
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="pjsip", daemon=True)
        self._started: Future[None] = Future()
        self._stopping = threading.Event()
        self._timers: list[tuple[float, int, Callable[[], Any]]] = []  # (due, order, job): the PJSIP thread's
        self._timer_order = itertools.count()
        self.endpoint: pj.Endpoint | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the thread and wait until the endpoint is listening.

        Raises:
            Exception: whatever the setup raised (a port in use, a bad address).
        """
        self._thread.start()
        self._started.result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Run the teardown, destroy the endpoint and end the thread.

        Raises:
            RuntimeError: the thread did not end within `timeout` seconds.
        """
        if not self._thread.is_alive():
            return
        self._stopping.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError(f"the SIP endpoint did not stop within {timeout} s")

    @property
    def running(self) -> bool:
        """True while the thread polls the endpoint."""
        return self._thread.is_alive() and self._started.done() and not self._stopping.is_set()

    def on_loop(self) -> bool:
        """True when called from the PJSIP thread itself."""
        return threading.current_thread() is self._thread

    def submit(self, job: Callable[[], T]) -> Future[T]:
        """Queue `job` to run on the PJSIP thread; return its future."""
        future: Future[T] = Future()
        if self.on_loop():
            _run_job(job, future)
            return future
        if not self.running:
            future.set_exception(LoopStopped("the SIP endpoint is not running"))
            return future
        self._jobs.put((job, future))
        return future

    def defer(self, job: Callable[[], Any]) -> None:
        """Run `job` on the PJSIP thread after the current callback (to drop an object safely)."""
        self._jobs.put((job, Future()))

    def call_later(self, delay: float, job: Callable[[], Any]) -> None:
        """Run `job` on the PJSIP thread in `delay` seconds (dropped if the loop stops first)."""
        due = time.monotonic() + delay
        self.defer(lambda: heapq.heappush(self._timers, (due, next(self._timer_order), job)))

    def call(self, job: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `job` on the PJSIP thread and return its result (or raise its exception)."""
        return self.submit(job).result(timeout)

    def _run(self) -> None:
        endpoint = pj.Endpoint()
        try:
            endpoint.libCreate()
            self.endpoint = endpoint
            self._setup(endpoint)
        except BaseException as exc:  # noqa: BLE001 - handed to start()'s caller
            self._started.set_exception(exc)
            _destroy(endpoint)
            self.endpoint = None
            return
        self._started.set_result(None)
        while not self._stopping.is_set():
            endpoint.libHandleEvents(POLL_MS)
            self._drain()
            self._fire_timers()
        try:
            self._teardown(endpoint)
            self._drain()
        except Exception:
            log.exception("SIP endpoint teardown failed")
        _destroy(endpoint)
        self.endpoint = None
        while not self._jobs.empty():
            _, future = self._jobs.get_nowait()
            future.set_exception(LoopStopped("the SIP endpoint stopped"))

    def _fire_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, job = heapq.heappop(self._timers)
            try:
                job()
            except Exception:
                log.exception("a timer on the SIP endpoint failed")

    def _drain(self) -> None:
        while True:
            try:
                job, future = self._jobs.get_nowait()
            except queue.Empty:
                return
            _run_job(job, future)


def _run_job(job: Callable[[], Any], future: Future) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(job())
    except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
        future.set_exception(exc)


def release(pj_object: Any) -> None:
    """Destroy a pjsua2 object now, on the PJSIP thread, whoever still holds its Python proxy.

    A proxy kept alive elsewhere (a traceback, a future) would otherwise destroy the C++
    object later, on another thread or after the library is gone, and abort the process.
    """
    if pj_object is not None and getattr(pj_object, "thisown", False):
        type(pj_object).__swig_destroy__(pj_object)


def _destroy(endpoint: pj.Endpoint) -> None:
    try:
        endpoint.libDestroy()
    except pj.Error as exc:
        log.warning("SIP endpoint destroy: %s", exc.info())
    release(endpoint)  # pjsua2 allows one Endpoint per process: free it before another starts
