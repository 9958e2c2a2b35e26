"""Conference rooms of the network, and <Dial><Conference> that joins them.

Twilio's documented behaviour, as implemented here:
- A conference is created by its first participant and named by the noun's text; while it
  lives, every <Conference> of that name joins the same room. It is `init` until a
  participant with startConferenceOnEnter (the default) joins, then `in-progress`, and
  `completed` when the last participant leaves or one with endConferenceOnExit does
  (everyone else is then taken out).
- A participant stays for its party's talk time, until it hangs up, is removed (REST
  DELETE of the participant), the conference ends, or the call is redirected. Leaving
  ends its <Dial>: the action URL gets DialCallStatus=completed, or the document goes on.
- `muted` (the noun's attribute or a REST update) keeps the participant from being heard;
  the media backend is told.
- `coach` (the CallSid of a participant) makes the joining participant a coach: it hears
  everyone, and only the coached participant hears it (a supervisor coaching a worker).
- `hold` (a REST update, with `HoldUrl`) takes a participant out of the talk: it is not
  heard, and hears hold music instead of the room until it is taken off hold.
- `statusCallback` with `statusCallbackEvent` (start end join leave mute hold) on the first
  participant's noun that names one: the room posts Twilio's conference status callbacks
  (`StatusCallbackEvent` participant-join, participant-leave, participant-mute/unmute,
  participant-hold/unhold, conference-start, conference-end) with a `SequenceNumber`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - TwiML from the application under test
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from hotline.gateway.interpreter.model import LeftConference, Sleep, Source, whole_seconds
from hotline.gateway.interpreter.queues import new_sid

if TYPE_CHECKING:
    from hotline.gateway.interpreter.calls import Call
    from hotline.gateway.interpreter.model import Fetch


@dataclass
class Participant:
    """A call taking part in a conference."""

    call_sid: str
    joined_at: float
    joined_utc: datetime
    muted: bool = False
    hold: bool = False
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    coach: str | None = None
    """The CallSid of the participant this one coaches (only that one hears it)."""
    hold_url: str | None = None


@dataclass
class Conference:
    """A named conference room and who is in it."""

    sid: str
    friendly_name: str
    created_utc: datetime
    updated_utc: datetime
    status: str = "init"
    participants: dict[str, Participant] = field(default_factory=dict)
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ()
    sequence: int = 0

    @property
    def is_live(self) -> bool:
        """Tell whether the conference has not ended."""
        return self.status != "completed"


class ConferenceRegistry:
    """The account's conferences: live ones by name, every one by sid."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Conference] = {}

    def __iter__(self) -> Iterator[Conference]:
        return iter(list(self._by_sid.values()))

    def by_sid(self, sid: str) -> Conference | None:
        """Return the conference with this sid, if any."""
        return self._by_sid.get(sid)

    def live(self, name: str) -> Conference | None:
        """Return the live conference of this name, if any."""
        return next((room for room in self._by_sid.values() if room.friendly_name == name and room.is_live), None)

    def room(self, name: str, now_utc: datetime) -> Conference:
        """Return the live conference of this name, creating it."""
        conference = self.live(name)
        if conference is None:
            conference = Conference(new_sid("CF"), name, now_utc, now_utc)
            self._by_sid[conference.sid] = conference
        return conference

    def of_call(self, call_sid: str) -> Conference | None:
        """Return the live conference a call takes part in, if any."""
        return next((room for room in self._by_sid.values() if room.is_live and call_sid in room.participants), None)


def _flag(noun: ET.Element, name: str, default: bool) -> bool:
    return noun.get(name, "true" if default else "false").lower() == "true"


def join_conference(
    call: Call, noun: ET.Element, action: str | None, method: str, doc_url: str = ""
) -> Generator[Sleep | Fetch, object, Source | None]:
    """Join the noun's conference for the party's talk time, then return the action Source (or None)."""
    network = call.network
    name = (noun.text or "").strip()
    conference = network.conferences.room(name, network.now_utc())
    participant = Participant(
        call.sid,
        network.now,
        network.now_utc(),
        muted=_flag(noun, "muted", False),
        start_conference_on_enter=_flag(noun, "startConferenceOnEnter", True),
        end_conference_on_exit=_flag(noun, "endConferenceOnExit", False),
        coach=(noun.get("coach") or "").strip() or None,
    )
    conference.participants[call.sid] = participant
    callback = (noun.get("statusCallback") or "").strip()
    if callback and conference.status_callback is None:
        conference.status_callback = call.resolve(doc_url, callback)
        conference.status_callback_method = noun.get("statusCallbackMethod", "POST").upper()
        conference.status_callback_events = tuple(noun.get("statusCallbackEvent", "").replace(",", " ").split())
    if participant.start_conference_on_enter and conference.status == "init":
        conference.status = "in-progress"
        network.conference_event(conference, "start", "conference-start", None)
    conference.updated_utc = network.now_utc()
    network.conference_event(conference, "join", "participant-join", participant)
    network.media.conference(call, conference.sid, participant.muted, participant.coach)
    detail = {"conference_sid": conference.sid, "participants": list(conference.participants)}
    call.event("conference", text=name, detail={**detail, "muted": participant.muted, "coach": participant.coach})
    try:
        yield Sleep(call.caller.talk_seconds)
    except LeftConference as left:
        call.event("conference-left", text=name, detail={"reason": left.reason})
    except GeneratorExit:
        raise  # the network is closing: nobody is left to tell
    except BaseException:
        network.leave_conference(conference, call.sid)  # hung up or redirected
        raise
    network.leave_conference(conference, call.sid)
    talked = whole_seconds(network.now - participant.joined_at)
    params = {"DialCallStatus": "completed", "DialCallDuration": str(talked)}
    call.event("dial-result", text="completed", detail=dict(params))
    return Source(action, method, params) if action else None
