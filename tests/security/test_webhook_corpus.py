"""Every Twilio webhook answers 200 with XML-valid TwiML, whatever it is sent, correctly signed.

The routes come from the URL map: a new /twilio/ route fails
`test_every_twilio_route_is_covered` until it is listed in ROUTES. Each route is
fed a corpus of hostile values (inf, nan, 1e400, NUL, control characters, huge
strings, Unicode, markup, missing and repeated parameters, ids beyond 2^31,
negative ids), once with every parameter hostile and once with a real call's
CallSid and every other parameter hostile. A caller must never hear Twilio's
"an application error has occurred": the only other answer allowed is the
empty 204 of a status callback. Errors before any view (404, 405, 413, 500) on
a /twilio/ path get safe TwiML too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from tests.support.signing import twilio_signature

TWILIO_PREFIX = "/twilio/"
ROUTES: dict[str, set[int]] = {
    "/twilio/callbacks/attempts/<int:attempt_id>/bridge": {200},
    "/twilio/callbacks/attempts/<int:attempt_id>/result": {200, 204},
    "/twilio/wallboard/monitor/<int:call_id>": {200},
    "/twilio/wallboard/trunk": {204},
    "/twilio/voice/sms-consent": {200},
    "/twilio/console/conference/<int:call_id>": {200},
    "/twilio/console/conference/<int:call_id>/events": {204},
    "/twilio/console/hold": {200},
    "/twilio/console/expert/<int:call_id>": {200},
    "/twilio/console/expert/<int:call_id>/result": {200},
    "/twilio/directory/test-calls/<int:test_call_id>": {200},
    "/twilio/directory/test-calls/<int:test_call_id>/status": {200, 204},
    "/twilio/escalation/status/<int:attempt_id>": {200, 204},
    "/twilio/escalation/voice/<int:attempt_id>": {200},
    "/twilio/escalation/voice/<int:attempt_id>/answer": {200},
    "/twilio/sms/incoming": {200},
    "/twilio/sms/status/<int:message_id>": {200, 204},
    "/twilio/survey/<call_sid>": {200},
    "/twilio/survey/<call_sid>/answer": {200},
    "/twilio/voice/apology": {200},
    "/twilio/voice/connect/<call_sid>": {200},
    "/twilio/voice/dial-result/<call_sid>": {200},
    "/twilio/voice/enqueue": {200},
    "/twilio/voice/fallback": {200},
    "/twilio/voice/incoming": {200},
    "/twilio/voice/menu": {200},
    "/twilio/voice/options": {200},
    "/twilio/voice/queue/result": {200},
    "/twilio/voice/queue/wait": {200},
    "/twilio/voice/recording": {200, 204},
    "/twilio/voice/status": {200, 204},
    "/twilio/voice/voicemail/done": {200},
}
"""Every /twilio/ rule and the statuses it may answer (204: an empty answer to a status callback)."""

PARAMETERS = (
    "AccountSid",
    "AvgQueueTime",
    "Body",
    "CallDuration",
    "CallSid",
    "CallStatus",
    "Called",
    "Caller",
    "CurrentQueueSize",
    "DialCallDuration",
    "DialCallStatus",
    "Digits",
    "ErrorCode",
    "ErrorMessage",
    "From",
    "MessageSid",
    "MessageStatus",
    "ParentCallSid",
    "QueuePosition",
    "QueueResult",
    "QueueTime",
    "RecordingDuration",
    "RecordingSid",
    "RecordingStatus",
    "RecordingUrl",
    "SequenceNumber",
    "Timestamp",
    "To",
)
HOSTILE = {
    "inf": "inf",
    "minus inf": "-inf",
    "nan": "nan",
    "1e400": "1e400",
    "minus 1e400": "-1e400",
    "NUL": "\x00",
    "NUL inside": "CA12\x0034",
    "control characters": "\x01\x02\x08\x0b\x1b\x7f\x85\x9f",
    "huge": "9" * 10_000,
    "unicode": "来电者 📞 \u202e\u200b\ufeff",
    "markup": "<Response><Hangup/></Response>]]>&amp;",
    "empty": "",
    "blank": "   ",
    "beyond 2^31": "2147483648",
    "400 digits": "9" * 400,
    "negative": "-1",
    "fraction": "12.5",
    "hex": "0x1F",
    "url": "http://127.0.0.1:1/x?y=%00",
}
IDS = {"beyond 2^31": "2147483648", "far beyond": "9999999999", "negative": "-1", "zero": "0", "one": "1"}


def twilio_rules(app: Flask) -> list[Any]:
    """Return every rule of the URL map under /twilio/."""
    return sorted((rule for rule in app.url_map.iter_rules() if rule.rule.startswith(TWILIO_PREFIX)), key=str)


def path_for(rule: Any, text: str, number: str) -> str:
    """Fill the rule's parameters: `number` for integers, `text` (percent-encoded) for the others."""
    path = rule.rule
    for name, converter in rule._converters.items():
        value = number if isinstance(converter, IntegerConverter) else quote(text, safe="")
        for pattern in (f"<int:{name}>", f"<{name}>", f"<{converter.__class__.__name__}:{name}>"):
            path = path.replace(pattern, value)
    return path


def signed_post(app: Flask, client: FlaskClient, path: str, form: MultiDict) -> Any:
    """POST `form` to `path`, signed as Twilio signs it (every value of a repeated parameter)."""
    # The app checks the URL as werkzeug decodes the path: PUBLIC_BASE_URL + path + the raw query.
    signature = twilio_signature(app, decoded(path), form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def decoded(path: str) -> str:
    """Return the path as werkzeug hands it to the app (percent-decoded, the query kept raw)."""
    route, _, query = path.partition("?")
    return unquote(route) + (f"?{query}" if query else "")


def assert_safe(response: Any, allowed: set[int], case: str) -> None:
    """Demand an allowed status and, for 200, XML-valid TwiML."""
    assert response.status_code in allowed, (case, response.status_code, response.get_data()[:300])
    if response.status_code == 204:
        assert response.get_data() == b"", case
        return
    assert response.mimetype in ("text/xml", "application/xml"), (case, response.mimetype)
    try:
        root = ElementTree.fromstring(response.get_data())
    except ElementTree.ParseError as error:  # pragma: no cover  (the failure message)
        pytest.fail(f"{case}: not XML ({error}): {response.get_data()[:300]!r}")
    assert root.tag == "Response", case


@pytest.fixture
def real_call(app: Flask, client: FlaskClient, make_user: Any) -> Iterator[Any]:
    """A call that arrived, chose a service, waits in the queue and is being connected to a worker."""
    from hotline.extensions import db
    from hotline.telephony import connecting, services

    before = app.config.get("TELEPHONY_OUTBOX_DISPATCH", True)
    app.config["TELEPHONY_OUTBOX_DISPATCH"] = False
    try:
        sid = "CAcorpus000000000000000000000001"
        caller = {"CallSid": sid, "From": "+8613800138000", "To": "+862288880000"}
        assert signed_post(app, client, "/twilio/voice/incoming", MultiDict(caller)).status_code == 200
        assert signed_post(app, client, "/twilio/voice/menu", MultiDict({**caller, "Digits": "1"})).status_code == 200
        worker = make_user("worker")
        call = services.get_call(db.session, sid)
        connecting.connect_to_worker(db.session, call, f"worker_{worker.id}")
        yield call
    finally:
        app.config["TELEPHONY_OUTBOX_DISPATCH"] = before


def test_every_twilio_route_is_covered(app: Flask) -> None:
    rules = {rule.rule for rule in twilio_rules(app)}
    assert rules == set(ROUTES), f"add the new webhook to ROUTES and make it safe: {rules ^ set(ROUTES)}"


def test_every_webhook_answers_twiml_to_every_hostile_value(app: Flask, client: FlaskClient, real_call: Any) -> None:
    checked = 0
    for rule in twilio_rules(app):
        allowed = ROUTES[rule.rule]
        integer = any(isinstance(c, IntegerConverter) for c in rule._converters.values())
        # Missing parameters.
        path = path_for(rule, real_call.call_sid, str(real_call.id))
        assert_safe(signed_post(app, client, path, MultiDict()), allowed, f"{rule.rule} with no parameters")
        for name, value in HOSTILE.items():
            # Every parameter hostile, the path's too.
            number = IDS["one"] if not integer else str(real_call.id)
            path = path_for(rule, value or "x", number)
            form = MultiDict({parameter: value for parameter in PARAMETERS})
            assert_safe(signed_post(app, client, path, form), allowed, f"{rule.rule}, all {name}")
            # A real call, every other parameter hostile.
            path = path_for(rule, real_call.call_sid, str(real_call.id))
            form = MultiDict({parameter: value for parameter in PARAMETERS})
            form["CallSid"] = real_call.call_sid
            assert_safe(signed_post(app, client, path, form), allowed, f"{rule.rule}, real call, {name}")
            checked += 3
        # Every parameter repeated, a real value and a hostile one.
        path = path_for(rule, real_call.call_sid, str(real_call.id))
        form = MultiDict([(p, v) for p in PARAMETERS for v in (real_call.call_sid, HOSTILE["inf"], "\x00")])
        assert_safe(signed_post(app, client, path, form), allowed, f"{rule.rule}, repeated parameters")
        # Ids beyond the columns, negative, zero.
        if integer:
            for name, number in IDS.items():
                path = path_for(rule, real_call.call_sid, number)
                form = MultiDict({"CallSid": real_call.call_sid, "Digits": "1", "CallStatus": "completed"})
                assert_safe(signed_post(app, client, path, form), {200, 204}, f"{rule.rule}, id {name}")
                checked += 1
    assert checked > 500


def test_a_huge_body_gets_twiml_not_413(app: Flask, client: FlaskClient) -> None:
    form = MultiDict({"CallSid": "CAhuge", "Body": "x" * 2_000_000})
    for path in ("/twilio/voice/incoming", "/twilio/voice/queue/wait", "/twilio/sms/incoming"):
        assert_safe(signed_post(app, client, path, form), {200}, path)


def test_errors_before_any_view_answer_twiml_under_twilio(app: Flask, client: FlaskClient) -> None:
    for method, path in (
        ("POST", "/twilio/voice/nowhere"),
        ("GET", "/twilio/voice/incoming"),
        ("POST", "/twilio/console/conference/9999999999"),
        ("POST", "/twilio/escalation/voice/-1"),
        ("PUT", "/twilio/voice/queue/wait"),
    ):
        response = client.open(path, method=method)
        assert_safe(response, {200}, f"{method} {path}")
    assert "<Enqueue" in client.post("/twilio/voice/nowhere").get_data(as_text=True)  # a caller stays in the queue
    assert client.post("/nowhere").status_code == 404  # outside /twilio/ errors stay errors


def test_an_unexpected_error_under_twilio_answers_twiml(app: Flask, client: FlaskClient, monkeypatch: Any) -> None:
    from hotline.telephony import security

    def broken() -> bool:
        raise RuntimeError("the signature check itself failed")

    monkeypatch.setattr(security, "request_is_from_twilio", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert_safe(client.post("/twilio/voice/incoming", data={"CallSid": "CAboom"}), {200}, "500 under /twilio/")


def test_a_forged_webhook_is_still_refused(app: Flask, client: FlaskClient) -> None:
    response = client.post("/twilio/voice/incoming", data={"CallSid": "CAforged"}, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 403


def test_a_nul_in_from_on_connect_gives_xml_valid_twiml(app: Flask, client: FlaskClient, real_call: Any) -> None:
    path = f"/twilio/voice/connect/{real_call.call_sid}"
    response = signed_post(app, client, path, MultiDict({"CallSid": real_call.call_sid, "From": "+86\x00138"}))
    assert_safe(response, {200}, "NUL in From")
    assert b"<Dial" in response.get_data()


def test_queue_time_beyond_any_number_holds_or_lets_the_caller_leave(
    app: Flask, client: FlaskClient, real_call: Any
) -> None:
    for value in ("inf", "1e400", "nan", "-inf"):
        form = MultiDict({"CallSid": real_call.call_sid, "QueueTime": value})
        assert_safe(signed_post(app, client, "/twilio/voice/queue/wait", form), {200}, f"QueueTime={value}")
        form["CallSid"] = "CAunknown"
        assert_safe(signed_post(app, client, "/twilio/voice/queue/wait", form), {200}, f"QueueTime={value}, no call")
