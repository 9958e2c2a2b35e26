"""/readyz and /metrics of the SIP line: calls counted, refusals by status, a lost registration."""

from __future__ import annotations

import ipaddress
import time
from pathlib import Path

import requests

from hotline.gateway.sip.health import HealthServer
from hotline.gateway.sip.settings import Trunk
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import needs_raw_sockets, needs_sipp
from tests.support.ports import free_udp_port
from tests.support.sipp import Sipp
from tests.support.waiting import until

pytestmark = needs_sipp


def test_a_line_taking_peer_calls_is_ready_and_counts_refusals(start_line, tmp_path: Path) -> None:
    line = start_line(lambda leg: None, trunk=Trunk(peers=(ipaddress.ip_network("10.0.0.0/8"),)))
    health = HealthServer(line).start()
    try:
        ready = requests.get(f"{health.url}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["trunk"] == "peers only"
        scenario = scenarios.write(tmp_path / "refused.xml", scenarios.refused(403))
        assert Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path).run().returncode == 0
        metrics = requests.get(f"{health.url}/metrics", timeout=5).text
        assert 'hotline_gateway_sip_refused_total{status="403"} 1' in metrics
        assert "hotline_gateway_sip_calls_up 0" in metrics
    finally:
        health.stop()


@needs_raw_sockets
def test_metrics_count_the_rtp_a_call_received_its_loss_and_jitter(start_line, tmp_path: Path) -> None:
    line = start_line(lambda leg: (leg.answer(), leg.wait_end(60)))
    health = HealthServer(line).start()
    try:
        steps = [scenarios.pause(300), scenarios.audio(), scenarios.pause(7300)]
        scenario = scenarios.write(tmp_path / "talk.xml", scenarios.call(steps, gateway_hangs_up=False))
        run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path).run()
        assert run.returncode == 0, run.explain()
        until(lambda: line.rtp.streams == 1, timeout=30)
        text = requests.get(f"{health.url}/metrics", timeout=5).text
        metrics = dict(row.rsplit(" ", 1) for row in text.splitlines() if not row.startswith("#"))
    finally:
        health.stop()
    received, lost = (int(metrics[f"hotline_gateway_sip_rtp_packets_{kind}_total"]) for kind in ("received", "lost"))
    assert received + lost == 236, "sipp's g711a.pcap holds 236 packets"
    assert lost <= 2, "on the loopback interface"
    assert float(metrics["hotline_gateway_sip_rtp_loss_ratio"]) == round(lost / 236, 6)
    assert metrics["hotline_gateway_sip_rtp_jitter_seconds_count"] == "1"
    assert 0 <= float(metrics["hotline_gateway_sip_rtp_jitter_seconds_sum"]) < 0.1


def test_a_registrar_that_refuses_makes_the_line_not_ready(start_line, tmp_path: Path) -> None:
    registrar_port = free_udp_port()
    refusing = scenarios._scenario(
        "registrar",
        '  <recv request="REGISTER"/>\n  <send>\n    <![CDATA[\n'
        "      SIP/2.0 403 Forbidden\n      [last_Via:]\n      [last_From:]\n      [last_To:];tag=reg\n"
        "      [last_Call-ID:]\n      [last_CSeq:]\n      Content-Length: 0\n\n    ]]>\n  </send>\n",
    )
    registrar = Sipp(scenarios.write(tmp_path / "registrar.xml", refusing), "127.0.0.1:1", sip_port=registrar_port)
    registrar.work_dir = tmp_path
    process = registrar.start()
    try:
        trunk = Trunk(registrar=f"sip:127.0.0.1:{registrar_port}", username="022222", password="secret")
        line = start_line(lambda leg: None, trunk=trunk)
        health = HealthServer(line).start()
        try:
            until(lambda: line.registration_failures >= 1, timeout=15)
            ready = requests.get(f"{health.url}/readyz", timeout=5)
            assert ready.status_code == 503 and ready.json()["trunk"] == "lost"
            metrics = requests.get(f"{health.url}/metrics", timeout=5).text
            assert "hotline_gateway_sip_registered 0" in metrics
            assert "hotline_gateway_sip_registration_failures_total 1" in metrics
        finally:
            health.stop()
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_a_refused_registration_is_tried_again_later_and_later(start_line, tmp_path: Path) -> None:
    registrar_port = free_udp_port()
    refusing = scenarios._scenario(
        "registrar",
        '  <recv request="REGISTER"/>\n  <send>\n    <![CDATA[\n'
        "      SIP/2.0 503 Service Unavailable\n      [last_Via:]\n      [last_From:]\n      [last_To:];tag=reg\n"
        "      [last_Call-ID:]\n      [last_CSeq:]\n      Content-Length: 0\n\n    ]]>\n  </send>\n",
    )
    registrar = Sipp(scenarios.write(tmp_path / "registrar.xml", refusing), "127.0.0.1:1", sip_port=registrar_port)
    registrar.work_dir, registrar.timeout, registrar.calls = tmp_path, 120, 100  # each new REGISTER: a new Call-ID
    process = registrar.start()
    try:
        trunk = Trunk(
            registrar=f"sip:127.0.0.1:{registrar_port}",
            username="022222",
            password="secret",
            retry_first_seconds=0.5,
            retry_max_seconds=2.0,
        )
        line = start_line(lambda leg: None, trunk=trunk)
        health = HealthServer(line).start()
        try:
            until(lambda: line.registration_failures >= 5, timeout=60)
            ready = requests.get(f"{health.url}/readyz", timeout=5).json()
        finally:
            health.stop()
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert line.registration_retries[:5] == [0.5, 1.0, 2.0, 2.0, 2.0], "doubling, up to the ceiling"
    assert ready["trunk"] == "lost" and ready["registration_retry_seconds"] == 2.0


def test_metrics_hold_each_calls_setup_time_from_the_invite_to_the_answer(start_line, tmp_path: Path) -> None:
    def slow_application(leg) -> None:  # noqa: ANN001 - a CallLeg
        leg.ring()
        time.sleep(0.4)  # the application takes 0.4 s to answer the first webhook
        leg.answer()
        leg.wait_end(60)

    line = start_line(slow_application)
    health = HealthServer(line).start()
    try:
        scenario = scenarios.write(
            tmp_path / "call.xml", scenarios.call([scenarios.pause(200)], gateway_hangs_up=False)
        )
        run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path).run()
        assert run.returncode == 0, run.explain()
        text = requests.get(f"{health.url}/metrics", timeout=5).text
    finally:
        health.stop()
    metrics = dict(row.rsplit(" ", 1) for row in text.splitlines() if not row.startswith("#"))
    assert "# TYPE hotline_gateway_sip_setup_seconds histogram" in text
    assert metrics['hotline_gateway_sip_setup_seconds_bucket{le="+Inf"}'] == "1"
    assert metrics["hotline_gateway_sip_setup_seconds_count"] == "1"
    assert metrics['hotline_gateway_sip_setup_seconds_bucket{le="0.3"}'] == "0", "answered 0.4 s after the INVITE"
    assert metrics['hotline_gateway_sip_setup_seconds_bucket{le="10"}'] == "1"
    assert 0.4 <= float(metrics["hotline_gateway_sip_setup_seconds_sum"]) < 10
