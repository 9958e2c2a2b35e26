"""Hold in a SIP conference: the held caller hears its hold music only, never the room.

Two sipp callers join the tiny app's conference on a real SIP gateway; one is put on hold through the
gateway's REST face with the twilio library, as the console does. PJSIP's conference bridge is read for who
transmits to whom: the room's audio stops reaching the held caller, and comes back when it is taken off hold.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hotline.gateway.sip.media import _leg, audio_routes
from hotline.gateway.sip.runner import SipGateway
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import needs_raw_sockets, needs_sipp
from tests.gateway.sip.test_gateway_calls import phone_port, start_gateway  # noqa: F401 (the fixtures)
from tests.support.sipp import Sipp
from tests.support.waiting import until

pytestmark = [needs_sipp, needs_raw_sockets]


def test_the_routes_of_a_room_leave_out_the_held_and_the_muted() -> None:
    everyone = ["caller", "worker", "expert"]
    assert audio_routes(everyone, {}, set(), {}) == {(a, b) for a in everyone for b in everyone if a != b}
    held = audio_routes(everyone, {"caller": True}, {"caller"}, {})
    assert held == {("worker", "expert"), ("expert", "worker")}  # the held caller neither hears nor is heard
    coached = audio_routes([*everyone, "supervisor"], {}, set(), {"supervisor": "worker"})
    assert ("supervisor", "worker") in coached and ("supervisor", "caller") not in coached
    assert ("caller", "supervisor") in coached  # a coach hears the room


def hears(gateway: SipGateway, listener_sid: str, speaker_sid: str) -> bool:
    """Whether PJSIP's conference bridge sends the speaker's audio to the listener (read on PJSIP's thread)."""

    def read() -> bool:
        speaker = _leg(gateway.network.calls[speaker_sid])._lookup()
        listener = _leg(gateway.network.calls[listener_sid])._lookup()
        info = speaker.audio.getPortInfo()  # kept: its `listeners` vector lives in it
        return listener.audio.getPortId() in list(info.listeners)

    return gateway.line.loop.call(read)


def test_a_held_caller_hears_the_hold_music_and_not_the_room(
    start_gateway: Callable[..., SipGateway],  # noqa: F811
    rest_client: Callable[..., Any],
    tmp_path: Path,
) -> None:
    gateway = start_gateway(voice_url="/voice/conference?leg=guest")
    port = f"127.0.0.1:{gateway.line.settings.port}"
    talking = [scenarios.audio(), scenarios.pause(30000)]
    agents = []
    for name, caller in (("first", "22292201"), ("second", "22292202")):
        agent = Sipp(
            scenarios.write(tmp_path / f"{name}.xml", scenarios.call(talking, caller=caller, gateway_hangs_up=False)),
            port,
        )
        agent.work_dir, agent.timeout = tmp_path, 90
        agents.append(agent.start())
    try:
        until(lambda: len(gateway.network.calls) == 2, timeout=30)
        first, second = sorted(gateway.network.calls.values(), key=lambda leg: leg.from_)
        room = until(lambda: gateway.network.conferences.of_call(first.sid), timeout=30)
        until(lambda: set(room.participants) == {first.sid, second.sid}, timeout=30)
        until(lambda: hears(gateway, second.sid, first.sid) and hears(gateway, first.sid, second.sid), timeout=10)

        client = rest_client(gateway)
        assert client.conferences(room.sid).participants(second.sid).update(hold=True).hold
        until(lambda: not hears(gateway, second.sid, first.sid), timeout=10)
        assert not hears(gateway, first.sid, second.sid)  # and the room does not hear the held caller
        assert second.events("conference-hold")

        client.conferences(room.sid).participants(second.sid).update(hold=False)
        until(lambda: hears(gateway, second.sid, first.sid) and hears(gateway, first.sid, second.sid), timeout=10)
    finally:
        for process in agents:
            if process.poll() is None:
                process.kill()
            process.communicate()
