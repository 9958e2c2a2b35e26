"""sipp scenarios for the SIP line's tests, built from a few blocks.

sipp fills the bracketed keywords: [service] (-s), [local_ip], [media_port], [call_id]…
"""

from __future__ import annotations

from pathlib import Path

from tests.support.sipp import pcap

CODECS = {"PCMA": 8, "PCMU": 0, "G729": 18}

_DIALOG = """      From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>{to_tag}
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70"""


def _request(
    method: str, caller: str, cseq: int, body_type: str = "", body: str = "", extra: str = "", dialog: bool = True
) -> str:
    """A request; inside a dialog it goes to the far end's Contact along the recorded route."""
    in_dialog = dialog and method not in ("INVITE", "OPTIONS", "FROBNICATE")
    target = "[next_url]" if in_dialog else "sip:[service]@[remote_ip]:[remote_port]"
    head = f"      {method} {target} SIP/2.0\n"
    head += "      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
    if in_dialog:
        head += "      [routes]\n"
    dialog = _DIALOG.format(
        caller=caller, to_tag="" if method == "INVITE" else "[peer_tag_param]", cseq=cseq, method=method
    )
    head += dialog + "\n"
    if extra:
        head += f"      {extra}\n"
    if body:
        head += f"      Content-Type: {body_type}\n      Content-Length: [len]\n\n{body}"
    else:
        head += "      Content-Length: 0\n"
    retrans = ' retrans="500"' if method != "ACK" else ""
    return f"  <send{retrans}>\n    <![CDATA[\n{head}\n    ]]>\n  </send>\n"


def sdp(codecs: list[str], telephone_event: bool = True) -> str:
    """An SDP offer for sipp's media address with `codecs` (names from CODECS)."""
    types = [str(CODECS[name]) for name in codecs] + (["101"] if telephone_event else [])
    lines = [
        "v=0",
        "o=- 1 1 IN IP[local_ip_type] [local_ip]",
        "s=-",
        "c=IN IP[media_ip_type] [media_ip]",
        "t=0 0",
        f"m=audio [media_port] RTP/AVP {' '.join(types)}",
    ]
    lines += [f"a=rtpmap:{CODECS[name]} {name}/8000" for name in codecs]
    if telephone_event:
        lines += ["a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"]
    lines += ["a=ptime:20", "a=sendrecv"]
    return "\n".join(f"      {line}" for line in lines) + "\n"


def _answered() -> str:
    return (
        '  <recv response="100" optional="true"/>\n'
        '  <recv response="180" optional="true"/>\n'
        '  <recv response="183" optional="true"/>\n'
        '  <recv response="200" rtd="true" rrs="true"/>\n'
    )


def _bye_received(timeout_ms: int) -> str:
    ok = (
        "      SIP/2.0 200 OK\n      [last_Via:]\n      [last_From:]\n      [last_To:]\n"
        "      [last_Call-ID:]\n      [last_CSeq:]\n      Content-Length: 0\n"
    )
    return f'  <recv request="BYE" timeout="{timeout_ms}"/>\n  <send>\n    <![CDATA[\n{ok}\n    ]]>\n  </send>\n'


def pause(ms: int) -> str:
    """Wait `ms` milliseconds in the scenario."""
    return f'  <pause milliseconds="{ms}"/>\n'


def rfc2833(digit: str) -> str:
    """Send a key as RFC 2833 telephone-events (the pcap sipp ships for it)."""
    name = {"*": "star", "#": "pound"}.get(digit, digit)
    return f'  <nop><action><exec play_pcap_audio="{pcap(f"dtmf_2833_{name}.pcap")}"/></action></nop>\n'


def audio(name: str = "g711a.pcap") -> str:
    """Start sending G.711 audio from a pcap (236 packets over 7 s for g711a.pcap)."""
    return f'  <nop><action><exec play_pcap_audio="{pcap(name)}"/></action></nop>\n'


def sip_info(digit: str, caller: str = "22292209") -> str:
    """Send a key by SIP INFO (application/dtmf-relay) and wait for its 200."""
    body = f"      Signal={digit}\n      Duration=160\n"
    return _request("INFO", caller, 2, "application/dtmf-relay", body) + '  <recv response="200"/>\n'


def hang_up(caller: str = "22292209") -> str:
    """Send BYE and wait for its 200."""
    return _request("BYE", caller, 3) + '  <recv response="200" crlf="true"/>\n'


def call(
    steps: list[str],
    codecs: tuple[str, ...] = ("PCMA",),
    caller: str = "22292209",
    extra_header: str = "",
    gateway_hangs_up: bool = True,
    bye_timeout_ms: int = 30000,
) -> str:
    """A caller's whole call: INVITE, 200, ACK, `steps`, then the gateway's BYE (or ours)."""
    body = _request("INVITE", caller, 1, "application/sdp", sdp(list(codecs)), extra_header)
    body += _answered() + _request("ACK", caller, 1) + "".join(steps)
    body += _bye_received(bye_timeout_ms) if gateway_hangs_up else hang_up(caller)
    return _scenario("caller", body)


def refused(status: int, codecs: tuple[str, ...] = ("PCMA",), caller: str = "22292209") -> str:
    """An INVITE that must be answered with `status` (then sipp ACKs it)."""
    invite = _request("INVITE", caller, 1, "application/sdp", sdp(list(codecs)))
    body = invite + '  <recv response="100" optional="true"/>\n  <recv response="180" optional="true"/>\n'
    body += f'  <recv response="{status}"/>\n'
    return _scenario("refused", body + _request("ACK", caller, 1, dialog=False))


def any_final(caller: str = "22292209") -> str:
    """An INVITE that may be answered or refused; sipp counts either as a success."""
    invite = _request("INVITE", caller, 1, "application/sdp", sdp(["PCMA"]))
    body = invite + '  <recv response="100" optional="true"/>\n  <recv response="180" optional="true"/>\n'
    for status in (403, 486, 503):
        body += f'  <recv response="{status}" optional="true" next="ack"/>\n'
    body += '  <recv response="200" rrs="true"/>\n' + _request("ACK", caller, 1) + hang_up(caller)
    body += '  <nop next="end"/>\n  <label id="ack"/>\n' + _request("ACK", caller, 1, dialog=False)
    body += '  <label id="end"/>\n'
    return _scenario("either", body)


def _scenario(name: str, body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="{name}">\n{body}</scenario>\n'


def write(path: Path, text: str) -> Path:
    """Write a scenario and return its path."""
    path.write_text(text)
    return path


def answering_phone(steps: list[str], ring_ms: int = 300) -> str:
    """A phone (UAS) that rings, answers with PCMA, runs `steps`, then waits for the BYE."""
    head = (
        "      [last_Via:]\n      [last_From:]\n      [last_To:];tag=[pid]SIPpTag01[call_number]\n"
        "      [last_Call-ID:]\n      [last_CSeq:]\n      Contact: <sip:phone@[local_ip]:[local_port]>\n"
    )
    ringing = "      SIP/2.0 180 Ringing\n" + head + "      Content-Length: 0\n"
    ok = "      SIP/2.0 200 OK\n" + head
    ok += "      Content-Type: application/sdp\n      Content-Length: [len]\n\n" + sdp(["PCMA"])
    body = '  <recv request="INVITE"/>\n'
    body += f"  <send>\n    <![CDATA[\n{ringing}\n    ]]>\n  </send>\n" + pause(ring_ms)
    body += f'  <send retrans="500">\n    <![CDATA[\n{ok}\n    ]]>\n  </send>\n'
    body += '  <recv request="ACK" crlf="true"/>\n' + "".join(steps) + _bye_received(60000)
    return _scenario("phone", body)
