"""The <Dial> verb of the simulated network: ring numbers and clients, bridge, join conferences.

Twilio's documented behaviour, as implemented here:
- Each <Number>, <Client> or <Sip> noun becomes a child call (direction outbound-dial, with
  ParentCallSid); the first party to answer within `timeout` (default 30 s) wins, the other
  legs are canceled. Whether and when a party answers comes from its `CallerScript`
  (`Network.callees[address]`, address being the number or ``client:<identity>``).
- A noun's `url` runs on the called party after it answers and before the bridge (call
  screening); if that TwiML hangs up, the parties are never bridged: DialCallStatus is
  completed and DialBridged false.
- When the dial ends the action URL gets DialCallStatus (completed, busy, no-answer, failed,
  canceled), DialCallSid, DialCallDuration and DialBridged, and its TwiML continues the call;
  without an action the call goes on with the verb after <Dial>.
- If the caller hangs up during the dial, the action is still requested (its TwiML is moot).
- <Conference> joins a conference room instead (see `conferences`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - TwiML from the application under test
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotline.gateway.interpreter.conferences import join_conference
from hotline.gateway.interpreter.model import BUSY_SECONDS, HungUp, LegEnded, Redirected, Sleep, Source, whole_seconds

if TYPE_CHECKING:
    from hotline.gateway.interpreter.calls import Call
    from hotline.gateway.interpreter.model import Fetch

Effects = Generator["Sleep | Fetch", object, object]


@dataclass(frozen=True)
class DialTarget:
    """One noun of a <Dial>: who to ring and what to run on their side."""

    address: str
    url: str | None = None
    method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_events: tuple[str, ...] = ("completed",)


def _targets(call: Call, verb: ET.Element, doc_url: str) -> tuple[list[DialTarget], ET.Element | None]:
    """Return the parties a <Dial> rings, or the <Conference> noun it joins."""
    targets: list[DialTarget] = []
    for noun in verb:
        if noun.tag == "Conference":
            return [], noun
        if noun.tag == "Client":
            identity = noun.find("Identity")
            name = (identity.text if identity is not None else noun.text) or ""
            address = f"client:{name.strip()}"
        elif noun.tag in ("Number", "Sip"):
            address = (noun.text or "").strip()
        else:
            call.event("error", text=f"<Dial><{noun.tag}> is not supported by the TwiML runner")
            continue
        callback = noun.get("statusCallback")
        events = tuple(noun.get("statusCallbackEvent", "completed").replace(",", " ").split())
        targets.append(
            DialTarget(
                address=address,
                url=call.resolve(doc_url, noun.get("url")) if noun.get("url") else None,
                method=noun.get("method", "POST").upper(),
                status_callback=call.resolve(doc_url, callback) if callback else None,
                status_callback_method=noun.get("statusCallbackMethod", "POST").upper(),
                status_events=events,
            )
        )
    if len(verb) == 0 and (verb.text or "").strip():
        targets.append(DialTarget((verb.text or "").strip()))
    return targets, None


def dial(call: Call, verb: ET.Element, doc_url: str) -> Effects:
    """Run <Dial>: ring the targets, bridge the first who answers, and return the action Source."""
    network = call.network
    action = call.resolve(doc_url, verb.get("action")) if verb.get("action") else None
    method = verb.get("method", "POST").upper()
    timeout = float(verb.get("timeout", "30"))
    time_limit = float(verb.get("timeLimit", "14400"))
    caller_id = verb.get("callerId") or call.from_
    targets, conference = _targets(call, verb, doc_url)
    if conference is not None:
        return (yield from join_conference(call, conference, action, method, doc_url))
    call.event("dial", detail={"targets": [target.address for target in targets], "timeout": timeout})
    legs = [(target, network.create_leg(call, target, caller_id)) for target in targets]
    live = bool(legs) and all(getattr(leg.caller, "live", False) for _, leg in legs)
    answering = [
        pair for pair in legs if pair[1].caller.answer == "answered" and pair[1].caller.ring_seconds <= timeout
    ]
    winner = min(answering, key=lambda pair: pair[1].caller.ring_seconds, default=None)
    status, talk, bridged = "failed", 0, False
    dial_sid = legs[0][1].sid if legs else ""
    try:
        if live:
            answered = yield from ring_live(call, [leg for _, leg in legs], timeout)
            winner = next((pair for pair in legs if pair[1] is answered), None)
        if winner is None:
            answers = [leg.caller.answer for _, leg in legs]
            if live:
                status = live_status(answers)
            elif set(answers) & {"answered", "no-answer"}:
                yield Sleep(timeout)
                status = "no-answer"
            elif "busy" in answers:
                yield Sleep(BUSY_SECONDS)
                status = "busy"
            for _, leg in legs:
                leg.finish(leg.caller.answer if leg.caller.answer in ("busy", "failed") else "no-answer")
        else:
            target, leg = winner
            dial_sid = leg.sid
            yield Sleep(leg.caller.ring_seconds)
            for _, other in legs:
                if other is not leg:
                    other.finish("canceled")
            leg.set_status("in-progress")
            status = "completed"
            declined = (yield from _screen(leg, target)) if target.url else False
            if not declined:
                bridged = True
                call.bridged_with, leg.bridged_with = leg.sid, call.sid
                network.media.bridge(call, leg)
                call.event("bridged", detail={"with": leg.sid, "to": leg.to})
                started = network.now
                try:
                    yield Sleep(min(leg.caller.talk_seconds, time_limit))
                except LegEnded:
                    pass
                talk = whole_seconds(network.now - started)
            leg.finish("completed")
    except HungUp:
        for _, leg in legs:
            if leg.is_live:
                leg.finish("completed" if leg.answered_at is not None else "canceled")
        if action:
            params = _result(status if bridged else "canceled", dial_sid, talk, bridged)
            yield from call.notify(Source(action, method, params), status="completed")
        raise
    except Redirected:
        for _, leg in legs:
            if leg.is_live:
                leg.finish("completed" if leg.answered_at is not None else "canceled")
        raise
    finally:
        call.bridged_with = None
    params = _result(status, dial_sid, talk, bridged)
    call.event("dial-result", text=status, detail=dict(params))
    return Source(action, method, params) if action else None


def ring_live(call: Call, legs: list[Call], timeout: float) -> Effects:
    """Wait until a live party (a SIP phone) answers, all refuse, or `timeout` passes; return who answered.

    The media backend sets each party's `answer` as its phone answers or refuses, and wakes
    the ringing call with `Network.party_changed`.
    """
    network = call.network
    deadline = network.now + timeout
    call._ringing = True
    try:
        while True:
            answered = [leg for leg in legs if leg.caller.answer == "answered"]
            if answered:
                return answered[0]
            if all(leg.caller.answer in ("busy", "failed", "no-answer") for leg in legs):
                return None
            remaining = deadline - network.now
            if remaining <= 0:
                return None
            yield Sleep(remaining)
    finally:
        call._ringing = False


def live_status(answers: list[str]) -> str:
    """Return the status of live parties rung and not answered (busy, failed or no-answer)."""
    if "busy" in answers and not {"ringing", "no-answer"} & set(answers):
        return "busy"
    if all(answer == "failed" for answer in answers):
        return "failed"
    return "no-answer"


def _result(status: str, dial_sid: str, talk: int, bridged: bool) -> dict[str, str]:
    return {
        "DialCallStatus": status,
        "DialCallSid": dial_sid,
        "DialCallDuration": str(talk),
        "DialBridged": "true" if bridged else "false",
    }


def _screen(leg: Call, target: DialTarget) -> Effects:
    """Run a noun's url TwiML on the answering party; return True if it hung up (declined)."""
    source: Source | None = Source(target.url or "", target.method)
    try:
        while source is not None:
            root = yield from leg.load(source)
            source = yield from leg.execute(root, source.url)
    except HungUp as hung:
        if hung.call_sid == leg.sid:
            leg.event("hangup", detail={"by": hung.by, "during": "screening"})
            return True
        raise
    return False
