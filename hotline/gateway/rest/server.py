"""The gateway's Twilio-compatible REST server: an HTTP server in a thread, authentication, dispatch, knobs.

Each route answers through a `RestResources` method (resources.py), holding the
network's lock; errors go back in Twilio's JSON format. Requests authenticate with
HTTP basic auth: the account SID and auth token, or an API key SID and secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hotline.gateway.interpreter.network import Network
from hotline.gateway.rest.conferences import ConferenceResources
from hotline.gateway.rest.resources import RestResources
from hotline.gateway.rest.wire import API, MULTI_VALUED, Json, Media, Params, RestError, RestRequest

PARTICIPANT = r"/Conferences/(?P<conference>[^/.]+)/Participants/(?P<sid>[^/.]+)\.json"


class RestServer(RestResources, ConferenceResources):
    """The REST server: start it, point a twilio Client at `base_url`, read `requests`.

    Test knobs: `delay` (seconds before answering each request) and `fail(status, times)`
    (answer with an error instead), to show that the app's webhooks never wait on REST.
    """

    def __init__(
        self,
        network: Network,
        *,
        api_keys: dict[str, str] | None = None,
        auth_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.network = network
        self.account_sid = network.account_sid
        self.auth_token = auth_token or network.auth_token
        self.api_keys = dict(api_keys or {})
        self.requests: list[RestRequest] = []
        self.delay = 0.0
        self.fail_status: int | None = None
        self.fail_remaining: int | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
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
                ("GET", r"/Conferences\.json", self._list_conferences),
                ("GET", r"/Conferences/(?P<sid>[^/.]+)\.json", self._fetch_conference),
                ("POST", r"/Conferences/(?P<sid>[^/.]+)\.json", self._update_conference),
                ("GET", r"/Conferences/(?P<conference>[^/.]+)/Participants\.json", self._list_participants),
                ("GET", PARTICIPANT, self._fetch_participant),
                ("POST", PARTICIPANT, self._update_participant),
                ("DELETE", PARTICIPANT, self._delete_participant),
                ("GET", r"/Recordings\.json", self._list_recordings),
                ("GET", r"/Recordings/(?P<sid>[^/.]+)\.json", self._fetch_recording),
                ("GET", r"/Recordings/(?P<sid>[^/.]+)\.(?P<extension>mp3|wav)", self._fetch_recording_media),
                ("DELETE", r"/Recordings/(?P<sid>[^/.]+)\.json", self._delete_recording),
            ]
        ]

    # Life cycle and knobs.

    def start(self) -> RestServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="gateway-rest", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> RestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

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

            def do_DELETE(self) -> None:  # noqa: N802 - http.server's naming
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
        if status == 204:
            handler.send_response(204)
            handler.end_headers()
            return
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
            raise RestError(self.fail_status, 20000 + self.fail_status, "Service unavailable (RestServer.fail)")
        for route_method, pattern, route in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                if match["account"] != self.account_sid:
                    raise RestError(404, 20404, f"The requested resource {path} was not found")
                arguments = {key: value for key, value in match.groupdict().items() if key != "account"}
                with self.network.lock:
                    return route(params, **arguments)
        raise RestError(404, 20404, f"The requested resource {path} was not found")
