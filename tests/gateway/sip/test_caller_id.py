"""Caller ID: P-Asserted-Identity first, then From; E.164 with the trunk's area code."""

from __future__ import annotations

from hotline.gateway.sip.caller_id import called_of, caller_of, normalise


def invite(*headers: str, request_user: str = "02222292209") -> str:
    lines = [f"INVITE sip:{request_user}@192.0.2.1 SIP/2.0", *headers, "Content-Length: 0", "", ""]
    return "\r\n".join(lines)


def test_p_asserted_identity_wins_over_from():
    message = invite("From: <sip:0000@carrier>;tag=1", "P-Asserted-Identity: <tel:+8613800138000>")
    assert caller_of(message, "CN", "22") == "+8613800138000"


def test_from_is_used_without_p_asserted_identity_and_compact_headers_count():
    assert caller_of(invite("f: <sip:13800138000@carrier>;tag=1"), "CN", "22") == "+8613800138000"


def test_a_local_landline_gets_the_trunks_area_code():
    assert normalise("22292209", "CN", "22") == "+862222292209"
    assert normalise("02222292209", "CN", "22") == "+862222292209"
    assert normalise("22292209", "CN", None) != "+862222292209"


def test_withheld_and_unreadable_numbers_are_anonymous():
    assert normalise("anonymous", "CN", "22") == "anonymous"
    assert normalise("Restricted", "CN", "22") == "anonymous"
    assert normalise("abc", "CN", "22") == "anonymous"
    assert normalise(None, "CN", "22") == "anonymous"
    assert caller_of(invite('From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=1'), "CN", "22") == "anonymous"


def test_the_number_dialled_comes_from_the_request_uri():
    assert called_of(invite("To: <sip:999@x>"), "CN", "22") == "+862222292209"
