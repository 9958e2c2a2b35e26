"""Bad input never stops the line: a corpus of broken SIP, then a normal call still goes through."""

from __future__ import annotations

import socket
import threading

from hotline.gateway.sip.leg import CallLeg
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import needs_sipp
from tests.support.sipp import Sipp

pytestmark = needs_sipp

VALID_HEAD = (
    "{method} sip:02222292209@127.0.0.1:{port} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{source};branch=z9hG4bK{n}\r\n"
    "From: <sip:22292209@127.0.0.1>;tag={n}\r\n"
    "To: <sip:02222292209@127.0.0.1>\r\n"
    "Call-ID: corpus-{n}@127.0.0.1\r\n"
    "CSeq: 1 {method}\r\n"
    "Max-Forwards: 70\r\n"
)

CORPUS: list[str | bytes] = [
    b"",
    b"\x00" * 64,
    b"\xff\xfe garbage \x80\x81",
    "INVITE\r\n\r\n",
    "INVITE sip: SIP/2.0\r\n\r\n",
    "INVITE sip:a@b SIP/9.9\r\nVia: nonsense\r\n\r\n",
    VALID_HEAD.replace("CSeq: 1 {method}", "CSeq: x {method}") + "Content-Length: 0\r\n\r\n",
    VALID_HEAD + "Content-Length: 999999\r\n\r\nv=0\r\n",
    VALID_HEAD + "Content-Length: -5\r\n\r\n",
    VALID_HEAD + "Content-Type: application/sdp\r\nContent-Length: 20\r\n\r\nv=0\r\nm=audio x RTP\r\n",
    VALID_HEAD + "Content-Type: application/sdp\r\nContent-Length: 60000\r\n\r\n" + "a=x\r\n" * 12000,
    VALID_HEAD + "X-Long: " + "y" * 60000 + "\r\nContent-Length: 0\r\n\r\n",
    VALID_HEAD.replace("Via:", "Via:\r\n") + "Content-Length: 0\r\n\r\n",
    VALID_HEAD.replace("From: <sip:22292209@127.0.0.1>;tag={n}", "From: <<<<>>>>") + "Content-Length: 0\r\n\r\n",
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKnone\r\nCSeq: 1 INVITE\r\n\r\n",
]
METHODS = ["INVITE", "FROBNICATE", "OPTIONS", "BYE", "INFO", "CANCEL", "ACK"]


def corpus(port: int, source: int) -> list[bytes]:
    """The broken messages, and every method on a dialog that does not exist."""
    messages = []
    for n, item in enumerate(CORPUS):
        text = item if isinstance(item, bytes) else item.format(method="INVITE", port=port, source=source, n=n)
        messages.append(text if isinstance(text, bytes) else text.encode())
    for n, method in enumerate(METHODS, start=100):
        messages.append((VALID_HEAD.format(method=method, port=port, source=source, n=n) + "\r\n").encode())
    return messages


def test_a_corpus_of_malformed_sip_does_not_stop_the_line(start_line, prompt, tmp_path):
    answered = threading.Event()

    def on_call(leg: CallLeg) -> None:
        leg.answer()
        if leg.collect(1, timeout=10) == "7":
            answered.set()

    line = start_line(on_call)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind(("127.0.0.1", 0))
        sender.settimeout(0.05)
        for message in corpus(line.settings.port, sender.getsockname()[1]):
            sender.sendto(message[:65000], ("127.0.0.1", line.settings.port))

    steps = [scenarios.pause(200), scenarios.sip_info("7")]
    scenario = scenarios.write(tmp_path / "after.xml", scenarios.call(steps))
    run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path).run()
    assert run.returncode == 0, run.explain()
    assert answered.wait(10)
    assert line.loop.running


def test_after_unknown_methods_sipp_still_gets_options_answered(start_line, tmp_path):
    """PJSIP drops an unknown method outside a dialog without answering (Kamailio in front answers 405)."""
    line = start_line(lambda leg: None)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind(("127.0.0.1", 0))
        source = sender.getsockname()[1]
        for n in range(50):
            message = VALID_HEAD.format(method="FROBNICATE", port=line.settings.port, source=source, n=n) + "\r\n"
            sender.sendto(message.encode(), ("127.0.0.1", line.settings.port))
    body = scenarios._request("OPTIONS", "22292209", 1) + '  <recv response="200"/>\n'
    scenario = scenarios.write(tmp_path / "options.xml", scenarios._scenario("options", body))
    run = Sipp(scenario, f"127.0.0.1:{line.settings.port}", work_dir=tmp_path).run()
    assert run.returncode == 0, run.explain()
