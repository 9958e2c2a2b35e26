"""Benchmark the console's browser softphone on a SIP line: registration time and answer-to-audio time.

    sudo .venv/bin/python scripts/bench/bench_softphone.py --rounds 10

The app (the testing configuration, on a real HTTP server in this process, TELEPHONY=gateway),
rtpengine and Kamailio (deploy/kamailio/kamailio.cfg with WITH_WEBRTC) run here; headless
Chromium with a fake microphone logs a worker in to the console. Each round:

- registration: the worker clicks "available"; the softphone checks the microphone, fetches its
  credentials, opens the WebSocket and registers (digest challenge, 200). Timed from the click to
  the softphone saying it is registered;
- answer-to-audio: a sipp caller, listed in Kamailio's dispatcher as a gateway, INVITEs
  `worker_<id>`; the browser answers by itself (as when the worker accepted an offer) and its
  sound crosses rtpengine (ICE, DTLS-SRTP, then plain RTP). Timed from sipp's start to the first
  RTP packet reaching sipp's media port (read on the loopback interface: run as root);
- then the worker goes offline (the softphone unregisters) for the next round.

The baseline, in the same run against the same Kamailio: baresip (a desk phone, plain SIP and
RTP over UDP, no WebRTC) with the same kind of credentials: start to registered, and the same
sipp caller's INVITE to its first RTP packet.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hotline import create_app  # noqa: E402
from hotline.accounts.models import User  # noqa: E402
from hotline.accounts.services import hash_password  # noqa: E402
from hotline.console.sip_phone import credentials  # noqa: E402
from hotline.extensions import db  # noqa: E402
from tests.conftest import TEST_PASSWORD, LiveServer, database_url, reset_schema  # noqa: E402
from tests.gateway.sip import scenarios  # noqa: E402
from tests.gateway.sip.conftest import tone  # noqa: E402
from tests.support.baresip import Baresip  # noqa: E402
from tests.support.browser import browser_page, fake_media_args, log_in  # noqa: E402
from tests.support.kamailio import PHONE_SECRET, Kamailio  # noqa: E402
from tests.support.ports import free_udp_port  # noqa: E402
from tests.support.rtp import RtpCounter  # noqa: E402
from tests.support.rtpengine import Rtpengine  # noqa: E402
from tests.support.sipp import Sipp, pcap  # noqa: E402
from tests.support.waiting import until  # noqa: E402


def ringing_caller(folder: Path, seconds: int) -> Path:
    """A call to a worker's phone: INVITE, 200, ACK, talk for `seconds`, BYE."""
    steps = [scenarios.audio(pcap("g711a.pcap")), scenarios.pause(seconds * 1000)]
    return scenarios.write(folder / "caller.xml", scenarios.call(steps, gateway_hangs_up=False))


def first_audio(kamailio: Kamailio, caller_port: int, scenario: Path, identity: str, folder: Path) -> float:
    """Ring `identity` from the sipp caller on `caller_port`; seconds from its start to the first RTP it receives."""
    caller = Sipp(scenario, f"127.0.0.1:{kamailio.port}", service=identity, sip_port=caller_port, work_dir=folder)
    with RtpCounter() as rtp:
        started = time.monotonic()
        process = caller.start()
        until(lambda: rtp.first_seen(caller.media_port), timeout=60, interval=0.01)
        heard = rtp.first_seen(caller.media_port) - started
        output = process.communicate(timeout=60)[0]
    if process.returncode != 0:
        raise RuntimeError(f"the caller failed:\n{output[-2000:]}")
    return heard


def desk_phone(folder: Path, issued: dict[str, object]) -> tuple[Baresip, float]:
    """Start baresip with `issued`; return it and the seconds from its start to its registration.

    A start that lost its free port to another process (the machine is shared) is tried again.
    """
    for _ in range(5):
        started = time.monotonic()
        phone = Baresip(folder, issued).start()
        until(lambda: phone.registered() or phone.refused() or "in use" in phone.output(), timeout=60, interval=0.01)  # noqa: B023
        if phone.registered():
            return phone, time.monotonic() - started
        phone.stop()
        if "in use" not in phone.output():
            raise RuntimeError(f"baresip was refused:\n{phone.output()[-2000:]}")
    raise RuntimeError("baresip found no free port five times")


def summary(values: list[float]) -> str:
    """Median and worst, in milliseconds."""
    return f"p50 {statistics.median(values) * 1000:7.0f} ms   max {max(values) * 1000:7.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--talk", type=int, default=2, help="seconds each call lasts once answered")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="bench-softphone-"))
    caller_port = free_udp_port()
    relay = Rtpengine(folder).start().wait_ready()
    kamailio = Kamailio(folder, [caller_port], rtpengine=relay.socket)
    # The caller stands in the dispatcher's list (only gateways may ring phones); it is no gateway to ping.
    kamailio.config.write_text(kamailio.config.read_text().replace('"ds_probing_mode", 1', '"ds_probing_mode", 0'))
    kamailio.start().wait_ready()
    overrides = {"DATABASE_URL": database_url(folder), "SQLALCHEMY_DATABASE_URI": database_url(folder)}
    app = create_app("testing", overrides)
    app.logger.setLevel(logging.WARNING)
    logging.getLogger("hotline").setLevel(logging.WARNING)
    reset_schema(app)
    app.config.update(
        TELEPHONY="gateway",
        GATEWAY_PHONE_REGISTRAR=kamailio.uri,
        GATEWAY_PHONE_SECRET=PHONE_SECRET,
        GATEWAY_PHONE_WS_URL=kamailio.ws_url,
    )
    with app.app_context():
        password = hash_password(TEST_PASSWORD)
        worker = User(username="bench-worker", display_name="李娜", password_hash=password, role="worker")
        db.session.add(worker)
        db.session.commit()
        worker_id = worker.id
    server = LiveServer(app).start()
    scenario = ringing_caller(folder, args.talk)
    browser_registration, browser_audio, desk_registration, desk_audio = [], [], [], []
    try:
        microphone = str(tone(folder / "microphone.wav", 60.0, frequency=660.0))
        with browser_page(extra_args=fake_media_args(microphone), timeout_ms=60_000) as page:
            log_in(page, server.url, "bench-worker")
            page.goto(f"{server.url}/console")
            page.wait_for_selector("#softphone", state="visible")
            state = "window.HotlineSoftphone.state()"
            for _ in range(args.rounds):
                clicked = time.monotonic()
                page.click('[data-set-state="available"]')
                until(lambda: page.evaluate(state)["registered"], timeout=60, interval=0.01)  # noqa: B023
                browser_registration.append(time.monotonic() - clicked)
                page.wait_for_selector('.my-status[data-state="available"]')
                browser_audio.append(first_audio(kamailio, caller_port, scenario, f"worker_{worker_id}", folder))
                until(lambda: not page.evaluate(state)["inCall"], timeout=60)
                page.click('[data-set-state="offline"]')
                until(lambda: not page.evaluate(state)["registered"], timeout=60)
        for _ in range(args.rounds):
            issued = credentials(app.config, worker_id, datetime.now(UTC))
            phone, took = desk_phone(folder, issued)
            try:
                desk_registration.append(took)
                desk_audio.append(first_audio(kamailio, caller_port, scenario, f"worker_{worker_id}", folder))
            finally:
                phone.stop()
    finally:
        server.stop()
        kamailio.stop()
        relay.stop()
    print(f"rounds: {args.rounds} (Chromium {args.rounds}, baresip {args.rounds}), on this machine")
    print(f"registration     browser {summary(browser_registration)}   baresip {summary(desk_registration)}")
    print(f"answer-to-audio  browser {summary(browser_audio)}   baresip {summary(desk_audio)}")
    ratio_registration = statistics.median(browser_registration) / statistics.median(desk_registration)
    ratio_audio = statistics.median(browser_audio) / statistics.median(desk_audio)
    print(f"ratio browser/baresip (p50): registration {ratio_registration:.2f}, answer-to-audio {ratio_audio:.2f}")


if __name__ == "__main__":
    main()
