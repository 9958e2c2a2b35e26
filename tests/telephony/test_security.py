"""Twilio webhook signatures: the documented test vector and the URL rebuilt from PUBLIC_BASE_URL."""

from __future__ import annotations

from typing import Any

from flask import Flask
from twilio.request_validator import RequestValidator

from hotline.telephony.security import request_is_from_twilio, signed_url

VECTOR_URL = "https://example.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}


def test_twilio_documented_test_vector() -> None:
    validator = RequestValidator("12345")
    assert validator.compute_signature(VECTOR_URL, VECTOR_PARAMS) == "L/OH5YylLD5NRKLltdqwSvS0BnU="
    assert validator.validate(VECTOR_URL, VECTOR_PARAMS, "L/OH5YylLD5NRKLltdqwSvS0BnU=")


def test_signature_is_checked_against_the_public_url_behind_a_proxy(app: Flask, db_session: Any) -> None:
    public_base = "https://example.com"
    original = app.config["PUBLIC_BASE_URL"], app.config["TWILIO_AUTH_TOKEN"]
    app.config.update(PUBLIC_BASE_URL=public_base, TWILIO_AUTH_TOKEN="12345")
    try:
        headers = {"X-Twilio-Signature": "L/OH5YylLD5NRKLltdqwSvS0BnU="}
        # The app itself is reached over plain HTTP on another host, as behind a TLS proxy.
        with app.test_request_context(
            "/myapp.php?foo=1&bar=2",
            method="POST",
            data=VECTOR_PARAMS,
            headers=headers,
            base_url="http://10.0.0.5:8000",
        ):
            assert signed_url() == VECTOR_URL
            assert request_is_from_twilio()
        with app.test_request_context(
            "/myapp.php?foo=1&bar=2", method="POST", data={**VECTOR_PARAMS, "Digits": "9"}, headers=headers
        ):
            assert not request_is_from_twilio()
        with app.test_request_context("/myapp.php?foo=1&bar=2", method="POST", data=VECTOR_PARAMS):
            assert not request_is_from_twilio()
    finally:
        app.config["PUBLIC_BASE_URL"], app.config["TWILIO_AUTH_TOKEN"] = original
