"""The REST resources the gateway serves: calls, queues, queue members, messages, recordings.

Each operation acts on the gateway's network and answers with Twilio's JSON shape
(or a Twilio error). `RestResources` is mixed into `RestServer`, which supplies
the network and the account SID.
"""

from __future__ import annotations

from hotline.gateway.interpreter.model import CallStateError, NotInQueueError, UnknownCallError, whole_seconds
from hotline.gateway.interpreter.network import Call, CallQueue, Message, Network
from hotline.gateway.rest.wire import API, MEDIA_TYPES, Json, Media, Params, RestError, recording_media, rfc2822


class RestResources:
    """The JSON shapes and operations of each REST resource, on `self.network` for `self.account_sid`."""

    network: Network
    account_sid: str

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

    def _delete_recording(self, params: Params, sid: str) -> tuple[int, Json]:
        remaining = [recording for recording in self.network.recordings if recording.sid != sid]
        if len(remaining) == len(self.network.recordings):
            raise RestError(404, 20404, f"The requested resource {self._uri(f'/Recordings/{sid}.json')} was not found")
        self.network.recordings[:] = remaining
        return 204, {}

    def _fetch_recording_media(self, params: Params, sid: str, extension: str) -> tuple[int, Media]:
        recording = next((recording for recording in self.network.recordings if recording.sid == sid), None)
        if recording is None:
            raise RestError(
                404, 20404, f"The requested resource {self._uri(f'/Recordings/{sid}.{extension}')} was not found"
            )
        if recording.path:  # a real call's recording: its WAV (the .mp3 name serves the same sound)
            with open(recording.path, "rb") as audio:
                return 200, Media(MEDIA_TYPES["wav"], audio.read())
        return 200, Media(MEDIA_TYPES[extension], recording_media(sid, extension))
