"""Twilio webhook signatures: the documented test vector, the URL rebuilt from PUBLIC_BASE_URL, repeated parameters."""

from __future__ import annotations

from typing import Any

from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from hotline.telephony.security import (
    compute_signature,
    request_is_from_twilio,
    signature_is_valid,
    signed_url,
    url_variants,
)

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


def test_our_signature_is_twilios_for_the_vector_and_for_repeated_parameters() -> None:
    validator = RequestValidator("12345")
    assert compute_signature("12345", VECTOR_URL, VECTOR_PARAMS) == "L/OH5YylLD5NRKLltdqwSvS0BnU="
    repeated = MultiDict([*VECTOR_PARAMS.items(), ("Digits", "5678"), ("StirVerstat", "B"), ("StirVerstat", "A")])
    assert compute_signature("12345", VECTOR_URL, repeated) == validator.compute_signature(VECTOR_URL, repeated)
    assert compute_signature("12345", VECTOR_URL, repeated) != compute_signature("12345", VECTOR_URL, VECTOR_PARAMS)


def test_a_webhook_twilio_signs_with_a_repeated_parameter_is_accepted(app: Flask, client: Any, db_session: Any) -> None:
    path = "/twilio/voice/fallback"
    url = app.config["PUBLIC_BASE_URL"].rstrip("/") + path
    form = MultiDict([("CallSid", "CArepeat0001"), ("Digits", "1"), ("Digits", "2"), ("From", "+8613800000001")])
    validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
    signed = validator.compute_signature(url, form)
    accepted = client.post(path, data=form, headers={"X-Twilio-Signature": signed})
    assert accepted.status_code == 200 and b"<Enqueue" in accepted.data
    first_only = validator.compute_signature(url, form.to_dict(flat=True))
    assert client.post(path, data=form, headers={"X-Twilio-Signature": first_only}).status_code == 403
    assert client.post(path, data=form.to_dict(flat=True), headers={"X-Twilio-Signature": signed}).status_code == 403


def test_the_url_is_also_tried_with_and_without_its_default_port() -> None:
    params = {"CallSid": "CAport0001"}
    with_port = RequestValidator("12345").compute_signature("https://example.com:443/twilio/voice/menu", params)
    assert signature_is_valid("12345", "https://example.com/twilio/voice/menu", params, with_port)
    assert url_variants("https://example.com:443/a") == ("https://example.com/a",)
    assert url_variants("http://example.com/a") == ("http://example.com:80/a",)
    assert not signature_is_valid("12345", "https://example.com/twilio/voice/menu", params, "not-a-signature")
    assert not signature_is_valid("", "https://example.com/twilio/voice/menu", params, with_port)
