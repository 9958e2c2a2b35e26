"""The REST resources of conferences and their participants, and of recordings' metadata.

`ConferenceResources` is mixed into `RestServer` beside `RestResources`: list, fetch and
end conferences; list, fetch, mute or hold, and remove participants; list and fetch
recordings. Shapes and errors are Twilio's.
"""

from __future__ import annotations

from hotline.gateway.interpreter.conferences import Conference
from hotline.gateway.interpreter.messages import Recording
from hotline.gateway.interpreter.model import NotInQueueError
from hotline.gateway.interpreter.network import Network
from hotline.gateway.rest.wire import API, Json, Params, RestError, rfc2822


class ConferenceResources:
    """Conferences, participants and recordings on `self.network` for `self.account_sid`."""

    network: Network
    account_sid: str

    def _conference_uri(self, tail: str) -> str:
        return API.format(account=self.account_sid) + tail

    def _not_found(self, tail: str) -> RestError:
        return RestError(404, 20404, f"The requested resource {self._conference_uri(tail)} was not found")

    def _conference_json(self, conference: Conference) -> Json:
        base = f"/Conferences/{conference.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "date_created": rfc2822(conference.created_utc),
            "date_updated": rfc2822(conference.updated_utc),
            "friendly_name": conference.friendly_name,
            "region": "us1",
            "sid": conference.sid,
            "status": conference.status,
            "reason_conference_ended": None,
            "call_sid_ending_conference": None,
            "uri": self._conference_uri(base + ".json"),
            "subresource_uris": {
                "participants": self._conference_uri(base + "/Participants.json"),
                "recordings": self._conference_uri(base + "/Recordings.json"),
            },
        }

    def _participant_json(self, conference: Conference, call_sid: str) -> Json:
        participant = conference.participants.get(call_sid)
        if participant is None:
            raise self._not_found(f"/Conferences/{conference.sid}/Participants/{call_sid}.json")
        return {
            "account_sid": self.account_sid,
            "call_sid": call_sid,
            "conference_sid": conference.sid,
            "label": None,
            "coaching": participant.coach is not None,
            "call_sid_to_coach": participant.coach,
            "date_created": rfc2822(participant.joined_utc),
            "date_updated": rfc2822(conference.updated_utc),
            "end_conference_on_exit": participant.end_conference_on_exit,
            "start_conference_on_enter": participant.start_conference_on_enter,
            "muted": participant.muted,
            "hold": participant.hold,
            "status": "connected",
            "uri": self._conference_uri(f"/Conferences/{conference.sid}/Participants/{call_sid}.json"),
        }

    def _recording_json(self, recording: Recording) -> Json:
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "call_sid": recording.call_sid,
            "conference_sid": None,
            "channels": 1,
            "date_created": rfc2822(recording.created_utc),
            "date_updated": rfc2822(recording.created_utc),
            "start_time": rfc2822(recording.created_utc),
            "duration": str(recording.duration),
            "sid": recording.sid,
            "source": "RecordVerb",
            "status": "completed",
            "price": None,
            "price_unit": "USD",
            "uri": self._conference_uri(f"/Recordings/{recording.sid}.json"),
        }

    def _find_conference(self, sid: str) -> Conference:
        conference = self.network.conferences.by_sid(sid)
        if conference is None:
            raise self._not_found(f"/Conferences/{sid}.json")
        return conference

    @staticmethod
    def _text(params: Params, name: str) -> str | None:
        value = params.get(name)
        return value if isinstance(value, str) or value is None else ",".join(value)

    def _list_page(self, key: str, path: str, records: list[Json]) -> tuple[int, Json]:
        uri = self._conference_uri(path)
        first = uri + "?PageSize=50&Page=0"
        return 200, {
            key: records,
            "end": max(len(records) - 1, 0),
            "first_page_uri": first,
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": first,
        }

    def _list_conferences(self, params: Params) -> tuple[int, Json]:
        name, status = self._text(params, "FriendlyName"), self._text(params, "Status")
        rooms = [
            self._conference_json(room)
            for room in reversed(list(self.network.conferences))
            if name in (None, room.friendly_name) and status in (None, room.status)
        ]
        return self._list_page("conferences", "/Conferences.json", rooms)

    def _fetch_conference(self, params: Params, sid: str) -> tuple[int, Json]:
        return 200, self._conference_json(self._find_conference(sid))

    def _update_conference(self, params: Params, sid: str) -> tuple[int, Json]:
        conference = self._find_conference(sid)
        status = self._text(params, "Status")
        if status not in (None, "completed"):
            raise RestError(400, 20001, f"Invalid Status {status!r}: only completed")
        if status == "completed" and conference.is_live:
            self.network.end_conference(conference)
        return 200, self._conference_json(conference)

    def _list_participants(self, params: Params, conference: str) -> tuple[int, Json]:
        room = self._find_conference(conference)
        records = [self._participant_json(room, sid) for sid in room.participants]
        return self._list_page("participants", f"/Conferences/{conference}/Participants.json", records)

    def _fetch_participant(self, params: Params, conference: str, sid: str) -> tuple[int, Json]:
        return 200, self._participant_json(self._find_conference(conference), sid)

    def _update_participant(self, params: Params, conference: str, sid: str) -> tuple[int, Json]:
        room = self._find_conference(conference)
        snapshot = self._participant_json(room, sid)
        muted, hold = self._text(params, "Muted"), self._text(params, "Hold")
        if muted is not None:
            self.network.mute_participant(room, sid, muted.lower() == "true")
        if hold is not None:
            self.network.hold_participant(room, sid, hold.lower() == "true", self._text(params, "HoldUrl"))
        return 200, snapshot | self._participant_json(room, sid)

    def _delete_participant(self, params: Params, conference: str, sid: str) -> tuple[int, Json]:
        room = self._find_conference(conference)
        try:
            self.network.remove_participant(room, sid)
        except NotInQueueError:
            raise self._not_found(f"/Conferences/{conference}/Participants/{sid}.json") from None
        return 204, {}

    def _list_recordings(self, params: Params) -> tuple[int, Json]:
        call_sid = self._text(params, "CallSid")
        records = [
            self._recording_json(recording)
            for recording in reversed(self.network.recordings)
            if call_sid in (None, recording.call_sid)
        ]
        return self._list_page("recordings", "/Recordings.json", records)

    def _fetch_recording(self, params: Params, sid: str) -> tuple[int, Json]:
        recording = next((item for item in self.network.recordings if item.sid == sid), None)
        if recording is None:
            raise self._not_found(f"/Recordings/{sid}.json")
        return 200, self._recording_json(recording)
