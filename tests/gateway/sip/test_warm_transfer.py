"""A warm transfer over the SIP line: the caller, the worker's SIP phone and an expert's phone through the trunk.

The hotline runs on a live server; sipp is the caller, a second sipp (two calls: the first bridge, then
the conference leg) is the worker's desk phone, a third is the expert's mobile phone reached through the
trunk. The worker asks for the warm transfer and leaves it from the console over HTTP, as the call page does.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask

from tests.console.test_transfer_line import EXPERT_PHONE, NOON, app_call, staff_session, worker_and_expert_on_duty
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import line_settings, needs_raw_sockets, needs_sipp
from tests.gateway.sip.test_hotline_line import sip_line, status_of
from tests.support.ports import free_udp_port
from tests.support.rtp import RtpCounter
from tests.support.sipp import Sipp
from tests.support.waiting import until
from tests.telephony.test_end_to_end import connect_first_waiting

pytestmark = [needs_sipp, needs_raw_sockets]


@contextmanager
def sipps(*agents: Sipp) -> Iterator[list[subprocess.Popen]]:
    """Start the sipp agents; those still running when the block ends (a failed wait) are stopped."""
    processes = [agent.start() for agent in agents]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


def test_a_warm_transfer_over_sip_reaches_the_expert_through_the_trunk_and_the_worker_leaves(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    phone_port, expert_port = free_udp_port(), free_udp_port()
    settings = line_settings(
        client_uri=f"sip:{{identity}}@127.0.0.1:{phone_port}", number_uri=f"sip:{{number}}@127.0.0.1:{expert_port}"
    )
    with (
        time_machine.travel(NOON, tick=True),
        sip_line(app, live_server, tmp_path, settings=settings) as (
            line,
            gateway,
        ),
    ):
        worker_id, expert_id = worker_and_expert_on_duty(app)
        # The worker's phone answers twice (the bridge, then the conference leg) and says nothing; the
        # expert talks for 14 s once answered; the caller presses 2 during the welcome (three times, 4 s
        # apart), talks for 49 s and hangs up.
        phone = Sipp(scenarios.write(tmp_path / "phone.xml", scenarios.answering_phone([])), "127.0.0.1:1")
        phone.sip_port, phone.work_dir, phone.calls, phone.timeout = phone_port, tmp_path, 2, 150
        expert_audio = [scenarios.audio(), scenarios.pause(7100), scenarios.audio(), scenarios.pause(7100)]
        expert = Sipp(scenarios.write(tmp_path / "expert.xml", scenarios.answering_phone(expert_audio)), "127.0.0.1:1")
        expert.sip_port, expert.work_dir, expert.timeout = expert_port, tmp_path, 150
        talking = [step for _ in range(7) for step in (scenarios.audio(), scenarios.pause(7100))]
        # 2 again while the welcome may still play on a loaded machine: a key outside a <Gather> is dropped.
        pressing = [step for _ in range(3) for step in (scenarios.pause(4000), scenarios.rfc2833("2"))]
        caller_steps = [*pressing, *talking]
        caller_xml = scenarios.call(caller_steps, gateway_hangs_up=False)
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{gateway.line.settings.port}")
        caller.work_dir, caller.timeout = tmp_path, 150
        with RtpCounter() as rtp, sipps(phone, expert, caller) as (phone_process, expert_process, caller_process):
            call = until(lambda: next(iter(gateway.network.calls.values()), None), timeout=60)
            until(lambda: status_of(line, call.sid) == "queued", timeout=60)
            assert connect_first_waiting(line, f"worker_{worker_id}") == call.sid
            until(lambda: call.events("bridged"), timeout=60)
            until(lambda: app_call(app, call.sid).worker_id == worker_id, timeout=30)
            call_id = app_call(app, call.sid).id

            staff = staff_session(base, "warm-worker")
            warm = staff.post(
                f"{base}/console/calls/{call_id}/transfer",
                data={"kind": "warm", "expert_id": expert_id, "csrf_token": staff.csrf},  # type: ignore[attr-defined]
                timeout=10,
            )
            assert warm.status_code == 200, warm.text[:500]
            room = until(lambda: gateway.network.conferences.of_call(call.sid), timeout=30)
            until(lambda: len(room.participants) == 3, timeout=30)
            legs = {sid: gateway.network.calls[sid] for sid in room.participants if sid != call.sid}
            numbers = sorted(leg.to for leg in legs.values())
            assert numbers == sorted([EXPERT_PHONE, f"client:worker_{worker_id}"]), numbers
            (expert_sid,) = [sid for sid, leg in legs.items() if leg.to == EXPERT_PHONE]

            left = staff.post(
                f"{base}/console/calls/{call_id}/transfer",
                data={"kind": "leave", "csrf_token": staff.csrf},  # type: ignore[attr-defined]
                timeout=10,
            )
            assert left.status_code == 200, left.text[:500]
            phone_output = phone_process.communicate(timeout=60)[0]  # both of the phone's calls got their BYE
            left_at = time.monotonic()
            assert set(room.participants) == {call.sid, expert_sid} and room.is_live
            caller_output = caller_process.communicate(timeout=150)[0]
            expert_output = expert_process.communicate(timeout=60)[0]  # the conference ended with the caller
        until(lambda: status_of(line, call.sid) == "completed", timeout=60)
        kinds = [event.kind for event in app_call(app, call.sid).events]
    assert phone_process.returncode == 0, phone_output[-3000:]
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert expert_process.returncode == 0, expert_output[-3000:]
    assert "transfer.warm" in kinds and "transfer.worker_left" in kinds
    assert rtp.voiced_since(expert.media_port, left_at) >= 100, "the expert heard the caller after the worker left"
    assert rtp.voiced_since(caller.media_port, left_at) >= 100, "the caller heard the expert after the worker left"
    assert gateway.rest.requests_to("POST", r"/Calls\.json"), "the legs were placed over the REST face"
    assert not [event for event in gateway.network.errors if event.kind == "application-error"]
