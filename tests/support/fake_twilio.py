"""A local Twilio-compatible REST server acting on a simulated phone network.

It serves the subset of Twilio's 2010-04-01 REST API the app uses through the official helper
library (calls, queues, queue members, messages) and the media of the recordings made on its
network (``Recordings/{sid}.mp3`` / ``.wav``), with Twilio's JSON shapes and error bodies,
HTTP basic auth (account SID + auth token, or API key SID + secret), and a log of every request.
Its operations act on a `hotline.telephony.twiml_runner.Network`, so a queue-member update
really dequeues the waiting call there. Point a client at it with
`hotline.telephony.twilio_http.build_client(..., api_base_url=fake.base_url)`.

Knobs: `fake.delay` (seconds before answering each request) and `fake.fail(status, times)`
(answer with an error instead) test that the app's webhooks do not wait on the REST API.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from twilio.rest import Client

from hotline.telephony.twilio_http import build_client
from hotline.telephony.twiml_model import CallStateError, NotInQueueError, UnknownCallError, whole_seconds
from hotline.telephony.twiml_runner import Call, CallQueue, Message, Network

Json = dict[str, Any]
Params = dict[str, str | list[str]]
API = "/2010-04-01/Accounts/{account}"
MULTI_VALUED = {"StatusCallbackEvent", "RecordingStatusCallbackEvent", "MediaUrl"}
MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/x-wav"}


def recording_media(sid: str, extension: str) -> bytes:
    """Return the stand-in bytes served for a recording: a format's magic number, then the SID."""
    magic = b"ID3\x04\x00\x00\x00\x00\x00\x00" if extension == "mp3" else b"RIFF\x00\x00\x00\x00WAVE"
    return magic + f"fake recording {sid}".encode()


@dataclass
class Media:
    """A non-JSON answer (a recording's audio)."""

    content_type: str
    data: bytes


@dataclass
class RestRequest:
    """One request the app made to the REST API, and the status it got."""

    method: str
    path: str
    params: Params
    username: str | None
    status: int


class RestError(Exception):
    """An error answered in Twilio's JSON format."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> Json:
        """Return Twilio's error JSON."""
        more_info = f"https://www.twilio.com/docs/errors/{self.code}"
        return {"code": self.code, "message": self.message, "more_info": more_info, "status": self.status}


def rfc2822(moment: datetime | None) -> str | None:
    """Format a datetime as Twilio's REST API does."""
    return format_datetime(moment) if moment else None


class FakeTwilio:
    """The REST server: start it, point a twilio Client at `base_url`, read `requests`."""

    def __init__(self, network: Network, *, api_keys: dict[str, str] | None = None, auth_token: str | None = None):
        self.network = network
        self.account_sid = network.account_sid
        self.auth_token = auth_token or network.auth_token
        self.api_keys = dict(api_keys or {})
        self.requests: list[RestRequest] = []
        self.delay = 0.0
        self.fail_status: int | None = None
        self.fail_remaining: int | None = None
        self._lock = threading.Lock()
        self._clients: list[Client] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        prefix = API.format(account=r"(?P<account>[^/]+)")
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., tuple[int, Json | Media]]]] = [
            (method, re.compile(prefix + pattern + r"$"), handler)
            for method, pattern, handler in [
                ("POST", r"/Calls\.json", self._create_call),
                ("GET", r"/Calls\.json", self._list_calls),
                ("GET", r"/Calls/(?P<sid>[^/.]+)\.json", self._fetch_call),
                ("POST", r"/Calls/(?P<sid>[^/.]+)\.json", self._update_call),
                ("GET", r"/Queues\.json", self._list_queues),
                ("POST", r"/Queues\.json", self._create_queue),
                ("GET", r"/Queues/(?P<queue>[^/.]+)\.json", self._fetch_queue),
                ("POST", r"/Queues/(?P<queue>[^/.]+)\.json", self._update_queue),
                ("GET", r"/Queues/(?P<queue>[^/.]+)/Members\.json", self._list_members),
                ("GET", r"/Queues/(?P<queue>[^/.]+)/Members/(?P<sid>[^/.]+)\.json", self._fetch_member),
                ("POST", r"/Queues/(?P<queue>[^/.]+)/Members/(?P<sid>[^/.]+)\.json", self._update_member),
                ("POST", r"/Messages\.json", self._create_message),
                ("GET", r"/Messages\.json", self._list_messages),
                ("GET", r"/Messages/(?P<sid>[^/.]+)\.json", self._fetch_message),
                ("GET", r"/Recordings/(?P<sid>[^/.]+)\.(?P<extension>mp3|wav)", self._fetch_recording_media),
            ]
        ]

    # Life cycle and knobs.

    def start(self) -> FakeTwilio:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the clients made by `client()`."""
        for client in self._clients:
            session = getattr(client.http_client, "session", None)
            if session is not None:
                session.close()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def client(self, **kwargs: Any) -> Client:
        """Return a twilio Client pointed at this server (closed by `stop`)."""
        kwargs.setdefault("auth_token", self.auth_token)
        client = build_client(self.account_sid, api_base_url=self.base_url, **kwargs)
        self._clients.append(client)
        return client

    def fail(self, status: int = 503, times: int | None = None) -> None:
        """Answer the next `times` requests (all, if None) with this error status."""
        self.fail_status, self.fail_remaining = status, times

    def heal(self) -> None:
        """Stop failing requests."""
        self.fail_status, self.fail_remaining = None, None

    def requests_to(self, method: str, path_pattern: str) -> list[RestRequest]:
        """Return the recorded requests whose method matches and whose path matches the regex."""
        with self._lock:
            return [r for r in self.requests if r.method == method and re.search(path_pattern, r.path)]

    # Dispatch.

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                fake._serve(self)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
                return

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        params = self._parse(split.query + ("&" if split.query and body else "") + body)
        username, password = self._credentials(handler.headers.get("Authorization", ""))
        if self.delay:
            time.sleep(self.delay)
        try:
            status, payload = self._dispatch(handler.command, split.path, params, username, password)
        except RestError as error:
            status, payload = error.status, error.body()
        with self._lock:
            self.requests.append(RestRequest(handler.command, split.path, params, username, status))
        if isinstance(payload, Media):
            content_type, data = payload.content_type, payload.data
        else:
            content_type, data = "application/json; charset=utf-8", json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _parse(encoded: str) -> Params:
        params: Params = {}
        for key, value in parse_qsl(encoded, keep_blank_values=True):
            if key in MULTI_VALUED:
                existing = params.setdefault(key, [])
                assert isinstance(existing, list)
                existing.extend(value.replace(",", " ").split())
            else:
                params[key] = value
        return params

    @staticmethod
    def _credentials(header: str) -> tuple[str | None, str | None]:
        if not header.startswith("Basic "):
            return None, None
        try:
            username, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return username, password

    def _dispatch(
        self, method: str, path: str, params: Params, username: str | None, password: str | None
    ) -> tuple[int, Json | Media]:
        authorised = (username == self.account_sid and password == self.auth_token) or (
            username in self.api_keys and self.api_keys[username] == password
        )
        if not authorised:
            raise RestError(401, 20003, "Authenticate")
        if self.fail_status is not None and self.fail_remaining != 0:
            if self.fail_remaining is not None:
                self.fail_remaining -= 1
            raise RestError(self.fail_status, 20000 + self.fail_status, "Service unavailable (fake_twilio.fail)")
        for route_method, pattern, route in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                if match["account"] != self.account_sid:
                    raise RestError(404, 20404, f"The requested resource {path} was not found")
                arguments = {key: value for key, value in match.groupdict().items() if key != "account"}
                with self.network.lock:
                    return route(params, **arguments)
        raise RestError(404, 20404, f"The requested resource {path} was not found")

    # Resources.

    def _uri(self, tail: str) -> str:
        return API.format(account=self.account_sid) + tail

    def _call_json(self, call: Call) -> Json:
        network = self.network
        answered = call.answered_at
        return {
            "sid": call.sid,
            "date_created": rfc2822(call.created_utc),
            "date_updated": rfc2822(network.now_utc()),
            "parent_call_sid": call.parent_sid,
            "account_sid": self.account_sid,
            "to": call.to,
            "to_formatted": call.to,
            "from": call.from_,
            "from_formatted": call.from_,
            "phone_number_sid": None,
            "status": call.status,
            "start_time": rfc2822(network.utc_at(answered)) if answered is not None else None,
            "end_time": rfc2822(network.utc_at(call.ended_at)) if call.ended_at is not None else None,
            "duration": str(call.duration) if call.ended_at is not None else None,
            "price": None,
            "price_unit": "USD",
            "direction": call.direction,
            "answered_by": None,
            "api_version": "2010-04-01",
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": self._uri(f"/Calls/{call.sid}.json"),
            "subresource_uris": {
                "notifications": self._uri(f"/Calls/{call.sid}/Notifications.json"),
                "recordings": self._uri(f"/Calls/{call.sid}/Recordings.json"),
            },
        }

    def _queue_json(self, queue: CallQueue) -> Json:
        return {
            "date_updated": rfc2822(self.network.now_utc()),
            "current_size": len(queue.members),
            "friendly_name": queue.friendly_name,
            "uri": self._uri(f"/Queues/{queue.sid}.json"),
            "account_sid": self.account_sid,
            "average_wait_time": queue.average_wait(self.network.now),
            "sid": queue.sid,
            "date_created": rfc2822(queue.created_utc),
            "max_size": queue.max_size,
            "subresource_uris": {"members": self._uri(f"/Queues/{queue.sid}/Members.json")},
        }

    def _member_json(self, queue: CallQueue, call_sid: str) -> Json:
        member = queue.member(call_sid)
        if member is None:
            raise RestError(
                404,
                20404,
                f"The requested resource {self._uri(f'/Queues/{queue.sid}/Members/{call_sid}.json')} was not found",
            )
        return {
            "queue_sid": queue.sid,
            "call_sid": member.call_sid,
            "date_enqueued": rfc2822(member.enqueued_utc),
            "position": queue.position(member.call_sid),
            "uri": self._uri(f"/Queues/{queue.sid}/Members/{member.call_sid}.json"),
            "wait_time": whole_seconds(self.network.now - member.enqueued_at),
        }

    def _message_json(self, message: Message) -> Json:
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": message.body,
            "date_created": rfc2822(message.created_utc),
            "date_sent": rfc2822(message.created_utc),
            "date_updated": rfc2822(message.created_utc),
            "direction": message.direction,
            "error_code": None,
            "error_message": None,
            "from": message.from_,
            "messaging_service_sid": message.messaging_service_sid,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": message.sid,
            "status": message.status,
            "subresource_uris": {"media": self._uri(f"/Messages/{message.sid}/Media.json")},
            "to": message.to,
            "uri": self._uri(f"/Messages/{message.sid}.json"),
        }

    def _page(self, key: str, path: str, records: list[Json]) -> tuple[int, Json]:
        uri = self._uri(path)
        return 200, {
            key: records,
            "end": max(len(records) - 1, 0),
            "first_page_uri": uri + "?PageSize=50&Page=0",
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri + "?PageSize=50&Page=0",
        }

    def _call(self, sid: str) -> Call:
        try:
            return self.network.call(sid)
        except UnknownCallError:
            raise RestError(
                404, 20404, f"The requested resource {self._uri(f'/Calls/{sid}.json')} was not found"
            ) from None

    def _queue(self, sid: str) -> CallQueue:
        queue = self.network.queues.by_sid(sid)
        if queue is None:
            raise RestError(404, 20404, f"The requested resource {self._uri(f'/Queues/{sid}.json')} was not found")
        return queue

    @staticmethod
    def _one(params: Params, name: str, default: str | None = None) -> str | None:
        value = params.get(name, default)
        return value if isinstance(value, str) or value is None else ",".join(value)

    def _create_call(self, params: Params) -> tuple[int, Json]:
        to, from_ = self._one(params, "To"), self._one(params, "From")
        if not to:
            raise RestError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise RestError(400, 21213, "No 'From' number is specified")
        url, twiml = self._one(params, "Url"), self._one(params, "Twiml")
        if not url and not twiml:
            raise RestError(400, 21205, "Url parameter is required.")
        events = params.get("StatusCallbackEvent") or ["completed"]
        call = self.network.create_call(
            to,
            from_,
            url=url,
            twiml=twiml,
            method=self._one(params, "Method", "POST") or "POST",
            status_callback=self._one(params, "StatusCallback"),
            status_callback_event=tuple(events) if isinstance(events, list) else (events,),
            status_callback_method=self._one(params, "StatusCallbackMethod", "POST") or "POST",
            fallback_url=self._one(params, "FallbackUrl"),
            fallback_method=self._one(params, "FallbackMethod", "POST") or "POST",
            timeout=float(self._one(params, "Timeout", "60") or 60),
        )
        return 201, self._call_json(call)

    def _list_calls(self, params: Params) -> tuple[int, Json]:
        calls = [
            self._call_json(call)
            for call in reversed(list(self.network.calls.values()))
            if all(
                params.get(key) in (None, value)
                for key, value in (("Status", call.status), ("To", call.to), ("From", call.from_))
            )
        ]
        return self._page("calls", "/Calls.json", calls)

    def _fetch_call(self, params: Params, sid: str) -> tuple[int, Json]:
        return 200, self._call_json(self._call(sid))

    def _update_call(self, params: Params, sid: str) -> tuple[int, Json]:
        call = self._call(sid)
        status = self._one(params, "Status")
        if status and status not in ("completed", "canceled"):
            raise RestError(400, 21218, f"Invalid Status {status!r}: only completed or canceled")
        try:
            self.network.update_call(
                sid,
                url=self._one(params, "Url"),
                method=self._one(params, "Method", "POST") or "POST",
                twiml=self._one(params, "Twiml"),
                status=status,
            )
        except CallStateError as error:
            raise RestError(400, 21220, str(error)) from None
        return 200, self._call_json(call)

    def _list_queues(self, params: Params) -> tuple[int, Json]:
        return self._page("queues", "/Queues.json", [self._queue_json(queue) for queue in self.network.queues])

    def _create_queue(self, params: Params) -> tuple[int, Json]:
        name = self._one(params, "FriendlyName")
        if not name:
            raise RestError(400, 20001, "Missing required parameter FriendlyName in the post body")
        max_size = self._one(params, "MaxSize")
        queue = self.network.queues.create(name, self.network.now_utc(), int(max_size) if max_size else None)
        return 201, self._queue_json(queue)

    def _fetch_queue(self, params: Params, queue: str) -> tuple[int, Json]:
        return 200, self._queue_json(self._queue(queue))

    def _update_queue(self, params: Params, queue: str) -> tuple[int, Json]:
        found = self._queue(queue)
        if self._one(params, "MaxSize"):
            found.max_size = int(self._one(params, "MaxSize") or found.max_size)
        return 200, self._queue_json(found)

    def _list_members(self, params: Params, queue: str) -> tuple[int, Json]:
        found = self._queue(queue)
        return self._page(
            "queue_members", f"/Queues/{queue}/Members.json", [self._member_json(found, sid) for sid in found.call_sids]
        )

    def _fetch_member(self, params: Params, queue: str, sid: str) -> tuple[int, Json]:
        return 200, self._member_json(self._queue(queue), sid)

    def _update_member(self, params: Params, queue: str, sid: str) -> tuple[int, Json]:
        found = self._queue(queue)
        url = self._one(params, "Url")
        if not url:
            raise RestError(400, 20001, "Missing required parameter Url in the post body")
        if sid in found.dequeued:
            raise RestError(400, 20001, f"Call {sid} is not in queue {queue} (already dequeued)")
        snapshot = self._member_json(found, sid)
        try:
            self.network.redirect_queued_call(sid, url, self._one(params, "Method", "POST") or "POST", queue_sid=queue)
        except NotInQueueError as error:
            raise RestError(400 if error.already_dequeued else 404, 20404, str(error)) from None
        return 200, snapshot

    def _create_message(self, params: Params) -> tuple[int, Json]:
        to, body = self._one(params, "To"), self._one(params, "Body")
        from_, service = self._one(params, "From"), self._one(params, "MessagingServiceSid")
        if not to:
            raise RestError(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            raise RestError(400, 21603, "A 'From' phone number is required.")
        if not body:
            raise RestError(400, 21602, "Message body is required.")
        message = self.network.send_message(
            to,
            from_ or service or "",
            body,
            status_callback=self._one(params, "StatusCallback"),
            messaging_service_sid=service,
        )
        return 201, self._message_json(message)

    def _list_messages(self, params: Params) -> tuple[int, Json]:
        return self._page(
            "messages", "/Messages.json", [self._message_json(m) for m in reversed(self.network.messages)]
        )

    def _fetch_message(self, params: Params, sid: str) -> tuple[int, Json]:
        message = next((m for m in self.network.messages if m.sid == sid), None)
        if message is None:
            raise RestError(404, 20404, f"The requested resource {self._uri(f'/Messages/{sid}.json')} was not found")
        return 200, self._message_json(message)

    def _fetch_recording_media(self, params: Params, sid: str, extension: str) -> tuple[int, Media]:
        if not any(recording.sid == sid for recording in self.network.recordings):
            raise RestError(
                404, 20404, f"The requested resource {self._uri(f'/Recordings/{sid}.{extension}')} was not found"
            )
        return 200, Media(MEDIA_TYPES[extension], recording_media(sid, extension))


@contextmanager
def start_fake_twilio(
    app_base_url: str,
    public_base_url: str,
    auth_token: str,
    account_sid: str,
    *,
    voice_url: str = "/twilio/voice/incoming",
    api_keys: dict[str, str] | None = None,
    **network_options: Any,
) -> Iterator[FakeTwilio]:
    """Start a Network and its REST server for one test; stop both afterwards.

    `network_options` go to `Network` (sms_url, status_callback_url, fallback_url, timing,
    inbound_status_events, ...). Use `fake.network` to dial in and run, `fake.client()` for a
    twilio Client pointed at the server, `fake.base_url` for the app's TWILIO_API_BASE_URL.
    """
    network = Network(app_base_url, public_base_url, auth_token, account_sid, voice_url, **network_options)
    fake = FakeTwilio(network, api_keys=api_keys, auth_token=auth_token)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
        network.close()
