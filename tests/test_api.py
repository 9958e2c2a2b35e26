"""The OpenAPI document matches the API routes; every API error has one shape."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from hotline.api import API_PREFIX, flask_path_to_openapi


def test_openapi_describes_every_api_route(app: Flask, db_session: Any) -> None:
    document = app.test_client().get(f"{API_PREFIX}/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    routes = {
        (flask_path_to_openapi(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    for path, method in routes:
        operation = document["paths"][path][method]
        assert operation.get("summary"), f"{method.upper()} {path} has no summary in its docstring"
        assert operation.get("responses"), f"{method.upper()} {path} documents no responses"
        declared = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), f"{path}: path parameters not declared"


def test_unknown_api_path_answers_the_error_shape(client: Any) -> None:
    response = client.get(f"{API_PREFIX}/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}


def test_api_refuses_anonymous_users_with_401(client: Any) -> None:
    response = client.get(f"{API_PREFIX}/me")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
