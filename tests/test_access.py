"""Every route declares who may use it; anonymous users and wrong roles are refused."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import AnyConverter, IntegerConverter

from hotline.access import access_of
from hotline.vocabulary import Role
from tests.conftest import log_in

# Routes anyone may reach, each for a stated reason (checked against the declarations).
PUBLIC_PREFIXES = (
    "/login",
    "/healthz",
    "/readyz",
    "/metrics",
    "/lang/",
    "/favicon.ico",  # a redirect to the static icon
    "/api/v1/openapi.json",
    "/twilio/",
    "/r/",
    "/ical/",
    "/simulator",
    "/sms/callbacks/",  # Alibaba and Tencent SMS push here; the URL carries the installation's token
    "/media/prompts/",  # recorded prompts for Twilio and the gateway; the URL carries an expiring signature
)


def rules(app: Flask) -> list[Any]:
    """Return every rule except static files."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def placeholder(converter: Any) -> Any:
    """Return a value the converter accepts: 1 for ints, the first choice of an any(…), else "x"."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def sample_url(app: Flask, rule: Any) -> str:
    """Build a URL for a rule with placeholder arguments."""
    values = {name: placeholder(conv) for name, conv in rule._converters.items()}
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def methods(rule: Any) -> list[str]:
    """Return the rule's methods that matter."""
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def test_every_endpoint_declares_its_access(app: Flask) -> None:
    undeclared = [rule.rule for rule in rules(app) if access_of(app.view_functions[rule.endpoint]) is None]
    assert undeclared == []


def test_public_endpoints_are_only_the_expected_ones(app: Flask) -> None:
    public = [rule.rule for rule in rules(app) if access_of(app.view_functions[rule.endpoint])[0] == "public"]
    unexpected = [path for path in public if not path.startswith(PUBLIC_PREFIXES)]
    assert unexpected == [], "a public route needs a reason here and a signature or token check"


def test_anonymous_users_are_refused_everywhere_not_public(app: Flask, db_session: Any) -> None:
    client = app.test_client()
    checked = 0
    for rule in rules(app):
        kind, _ = access_of(app.view_functions[rule.endpoint])
        if kind == "public":
            continue
        url = sample_url(app, rule)
        for method in methods(rule):
            response = client.open(url, method=method)
            if url.startswith("/api/"):
                assert response.status_code == 401, (method, url)
                assert response.get_json()["error"]["code"]
            else:
                assert response.status_code == 302, (method, url)
                assert "/login" in response.headers["Location"], (method, url)
            checked += 1
    assert checked > 5


@pytest.mark.parametrize("role", [Role.STATION, Role.WORKER, Role.SUPERVISOR, Role.MANAGER])
def test_lower_roles_are_refused_with_403(app: Flask, make_user: Any, role: Role) -> None:
    client = log_in(app.test_client(), make_user(role.value))
    for rule in rules(app):
        kind, required = access_of(app.view_functions[rule.endpoint])
        if kind == "public" or role.includes(required):
            continue
        url = sample_url(app, rule)
        for method in methods(rule):
            response = client.open(url, method=method)
            assert response.status_code == 403, (role, method, url, response.status_code)


def test_worker_is_refused_on_manager_pages_and_manager_api(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("worker"))
    manager_rules = [
        rule
        for rule in rules(app)
        if access_of(app.view_functions[rule.endpoint]) not in (None,)
        and access_of(app.view_functions[rule.endpoint])[0] == "role"
        and access_of(app.view_functions[rule.endpoint])[1].includes(Role.MANAGER)
    ]
    assert manager_rules, "there are manager-only routes to check"
    for rule in manager_rules:
        assert client.get(sample_url(app, rule)).status_code in (403, 405)


def test_a_form_post_without_csrf_token_is_refused(app: Flask, make_user: Any) -> None:
    client = log_in(app.test_client(), make_user("worker"))
    response = client.post("/profile/tokens", data={"token-name": "laptop"})
    assert response.status_code == 400
    response = client.post("/logout")
    assert response.status_code == 400


# Who reads which report (docs/reports.md, "Who reads what"): the figures are a supervisor's
# to run the floor; exports (personal data leaving the system) and the monthly report with
# each person's rota hours stay with managers.
REPORT_ACCESS = {
    "reports.summary_api": Role.SUPERVISOR,
    "reports.report": Role.SUPERVISOR,
    "reports.export": Role.MANAGER,
    "reports.monthly": Role.MANAGER,
    "reports.monthly_pdf": Role.MANAGER,
    "wallboard.page": Role.SUPERVISOR,
    "rota.editor": Role.MANAGER,  # the staffing suggestion (Erlang C) is shown in the rota editor
}


def test_reports_are_declared_for_the_roles_docs_reports_names(app: Flask) -> None:
    declared = {endpoint: access_of(app.view_functions[endpoint]) for endpoint in REPORT_ACCESS}
    assert declared == {endpoint: ("role", role) for endpoint, role in REPORT_ACCESS.items()}
    reports = {rule.endpoint for rule in rules(app) if rule.endpoint.startswith("reports.")}
    assert reports <= set(REPORT_ACCESS), "a new report route needs its row here and in docs/reports.md"


@pytest.mark.parametrize("role", [Role.WORKER, Role.SUPERVISOR, Role.MANAGER])
def test_each_role_reaches_exactly_its_reports(app: Flask, make_user: Any, db_session: Any, role: Role) -> None:
    client = log_in(app.test_client(), make_user(role.value))
    urls = {
        "reports.summary_api": "/api/v1/reports/summary?from=2026-03-01&to=2026-03-02",
        "reports.report": "/reports/worker?from=2026-03-01&to=2026-03-02",
        "reports.export": "/reports/worker/export.csv?from=2026-03-01&to=2026-03-02",
        "reports.monthly": "/reports/monthly?month=2026-03",
    }
    for endpoint, url in urls.items():
        expected = 200 if role.includes(REPORT_ACCESS[endpoint]) else 403
        assert client.get(url).status_code == expected, (role, url)
