"""The calls a SIP gateway holds, kept in a file, so that a gateway started after a crash reports them.

A clean stop ends every call and the application hears it by the final status callbacks
(`SipGateway.stop`). A gateway killed outright cannot; the carrier's side of its calls ends by
itself (session timers, RTP timeouts), but the application would keep them "in progress".
The journal (`GATEWAY_CACHE_DIR/calls.json`) lists each live call with what its final
status callback needs; it is rewritten on each status change and every few seconds while
calls are up (`alive_utc`). On start, the gateway posts, for each call left in it, the
callback Twilio would have sent: `completed` with the duration up to the journal's last
sign of life for an answered call, `failed` for one never answered.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.gateway.interpreter.legs import FINAL_STATUSES

if TYPE_CHECKING:
    from hotline.gateway.interpreter.calls import Call
    from hotline.gateway.interpreter.network import Network

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


class CallJournal:
    """The gateway's live calls on disk; `watch(network)` keeps it, `recover(network)` reports what a crash left."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._calls: dict[str, dict[str, object]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="call-journal", daemon=True)

    def recover(self, network: Network) -> list[str]:
        """Post the final status callback of every call a previous run left; return their sids."""
        try:
            left = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            log.exception("unreadable call journal %s: ignored", self.path)
            self.path.unlink(missing_ok=True)
            return []
        alive = _parse_utc(left.get("alive_utc"))
        reported = []
        for sid, entry in left.get("calls", {}).items():
            answered = _parse_utc(entry.get("answered_utc"))
            params = dict(entry["params"])
            params.update(
                CallStatus="completed" if answered else "failed",
                CallbackSource="call-progress-events",
                SequenceNumber=str(entry["sequence"]),
                Timestamp=format_datetime(alive or datetime.now(UTC)),
                CallDuration=str(max(0, int((alive - answered).total_seconds())) if answered and alive else 0),
            )
            exchange = network.webhooks.post_callback(entry["url"], entry["method"], params)
            log.warning("call %s was cut by the gateway's restart: reported %s", sid, params["CallStatus"])
            if not exchange.ok:
                log.error("the application did not take the report of call %s: %s", sid, exchange.error)
            reported.append(sid)
        self.path.unlink(missing_ok=True)
        return reported

    def watch(self, network: Network) -> None:
        """Record the network's calls from now on (their status changes), and beat while any is up."""
        network.on_status = self._changed
        self._thread.start()

    def close(self) -> None:
        """Stop beating; the file stays only if calls are still listed (a stop that could not end them)."""
        self._stop.set()
        with self._lock:
            if not self._calls:
                self.path.unlink(missing_ok=True)

    def _changed(self, call: Call) -> None:
        """A call's status changed (the network's lock is held)."""
        if call.status in FINAL_STATUSES or not call.status_callback or "completed" not in call.status_events:
            with self._lock:
                if self._calls.pop(call.sid, None) is not None:
                    self._write()
            return
        answered = call.network.utc_at(call.answered_at) if call.answered_at is not None else None
        entry = {
            "url": call.status_callback,
            "method": call.status_callback_method,
            "params": {key: value for key, value in call.params().items() if key != "CallStatus"},
            "sequence": call._sequence,  # noqa: SLF001 - the next callback's number
            "answered_utc": answered.isoformat() if answered else None,
        }
        with self._lock:
            self._calls[call.sid] = entry
            self._write()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            with self._lock:
                if self._calls:
                    self._write()

    def _write(self) -> None:
        """Write the journal atomically (the lock is held)."""
        if not self._calls:
            self.path.unlink(missing_ok=True)
            return
        partial = self.path.with_suffix(".part")
        body = {"alive_utc": datetime.now(UTC).isoformat(), "calls": self._calls}
        partial.write_text(json.dumps(body))
        os.replace(partial, self.path)


def _parse_utc(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
