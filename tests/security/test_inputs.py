"""Hostile inputs: ids beyond the id columns' range answer 404; control characters answer 400.

The first test walks the URL map, so a new integer route is covered without a row here.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.conftest import csrf_token, log_in

TOO_LARGE = 9999999999


def integer_rules(app: Flask) -> list[Any]:
    """Return every rule with an integer path parameter."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(converter, IntegerConverter) for converter in rule._converters.values())
    ]


def url_with(app: Flask, rule: Any, number: int) -> str:
    """Build the rule's URL with `number` for every integer, an allowed word for `any(...)`, "x" otherwise."""
    path = rule.rule
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            value = str(number)
        elif isinstance(converter, AnyConverter):
            value = sorted(converter.items)[0]
        else:
            value = "x"
        path = re.sub(rf"<(?:[^<>:]+:)?{re.escape(name)}>", value, path)
    return path


def test_every_integer_route_answers_404_beyond_the_id_range(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("admin"))
    token = csrf_token(client, "/")
    rules = integer_rules(app)
    assert len(rules) > 40
    checked = 0
    for rule in rules:
        for number in (TOO_LARGE, 2**31, -1):
            url = url_with(app, rule, number)
            assert "<" not in url, url
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                headers = {"X-CSRFToken": token}
                response = client.open(url, method=method, headers=headers, data={"csrf_token": token})
                if url.startswith("/twilio/"):
                    # Twilio must always get TwiML; the webhook error handler answers a 404 with it.
                    assert response.status_code in (200, 404), (method, url, response.status_code)
                else:
                    assert response.status_code == 404, (method, url, response.status_code)
                checked += 1
    assert checked > 100


def test_the_largest_id_and_zero_still_reach_the_view(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/cases/{2**31 - 1}") == ("cases.case_page", {"case_id": 2**31 - 1})
    assert adapter.match("/cases/0") == ("cases.case_page", {"case_id": 0})


def test_nul_in_every_form_post_is_refused_with_400(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("admin"))
    token = csrf_token(client, "/")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()) or rule.rule.startswith(("/twilio/", "/api/", "/static")):
            continue
        url = url_with(app, rule, 1)
        response = client.post(url, data={"csrf_token": token, "note": "before\x00after"})
        assert response.status_code == 400, (url, response.status_code)
        page = response.get_data(as_text=True)
        assert "U+0000" in page and "note" in page, url
        assert "beforeafter" in page, "what was typed is kept, without the control character"
        checked += 1
    assert checked > 30


def test_nul_in_a_search_is_refused_with_400(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("supervisor"))
    response = client.get("/cases?phone=138%0000138000")
    assert response.status_code == 400
    assert "phone" in response.get_data(as_text=True)


def test_control_characters_in_the_api_are_refused_with_a_json_400(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("manager"))
    token = csrf_token(client, "/")
    for value in ("a\x00b", "bell\x07", "\x1b[31m", "c1\x85", "\ud800"):
        response = client.put("/api/v1/console/calls/1/draft", json={"summary": value}, headers={"X-CSRFToken": token})
        assert response.status_code == 400, (value, response.status_code)
        error = response.get_json()["error"]
        assert error["code"] == "invalid_character" and "summary" in error["fields"]
    response = client.get("/api/v1/reports/summary?from=%00")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_character"


def test_tab_and_line_ends_are_accepted(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("supervisor"))
    assert client.get("/cases?phone=%09138").status_code != 400
    assert client.get("/cases?phone=1%0D%0A2").status_code != 400


def test_twilio_webhooks_are_not_refused_for_control_characters(client: Any) -> None:
    response = client.post("/twilio/voice/incoming", data={"From": "+86\x00138", "CallSid": "CA\x00"})
    assert response.status_code != 400
