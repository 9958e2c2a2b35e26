"""Every page keeps the Content-Security-Policy: no inline script, handler or style, checked in Chromium."""

from __future__ import annotations

import shutil
from typing import Any

import pyotp
import pytest
from flask import Flask

from hotline.accounts import second_factor
from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.clock import utcnow
from hotline.extensions import db
from tests.conftest import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
COLLECT = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"
)

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed")


def test_the_policy_forbids_inline_code_on_every_response(client: Any) -> None:
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "nonce-" not in policy


def pages(app: Flask) -> list[str]:
    """Return every page reachable by GET without an argument (not the API, webhooks or static files)."""
    skip = ("/api/", "/twilio/", "/static/", "/healthz", "/metrics", "/lang/", "/logout", "/socket.io")
    found = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(skip):
            if not rule.rule.endswith((".csv", ".xlsx", ".zip", ".ics", ".json", ".pdf", "/state", "/messages")):
                found.add(rule.rule)
    return sorted(found)


def report(violations: list[str], url: str, text: str) -> None:
    """Keep a console message that reports a policy violation."""
    if "Content Security Policy" in text:
        violations.append(f"{url}: {text}")


def test_pages_load_in_chromium_without_a_policy_violation(app: Flask, live_server: Any) -> None:
    from playwright.sync_api import sync_playwright

    recovery: dict[str, str] = {}
    with app.app_context():
        for role in ("admin", "supervisor", "worker"):
            user = User(
                username=f"csp-{role}", display_name=role, password_hash=hash_password(TEST_PASSWORD), role=role
            )
            db.session.add(user)
            db.session.commit()
            if role != "worker":  # supervisors and admins log in with a second factor
                secret = pyotp.random_base32()
                codes = second_factor.enrol(db.session, user, secret, pyotp.TOTP(secret).now(), utcnow())
                recovery[role] = codes[0]
        urls = pages(app)
    assert "/console" in urls and "/simulator" in urls and "/reports" in urls
    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for role in ("admin", "supervisor", "worker"):
                context = browser.new_context()
                context.add_init_script(COLLECT)
                page = context.new_page()
                page.on("console", lambda message, page=page: report(violations, page.url, message.text))
                page.goto(f"{live_server.url}/login")
                page.fill('input[name="username"]', f"csp-{role}")
                page.fill('input[name="password"]', TEST_PASSWORD)
                page.click('button[type="submit"]')
                page.wait_for_load_state("load")
                if role in recovery:
                    page.fill('input[name="code"]', recovery[role])
                    page.click('button[type="submit"]')
                    page.wait_for_load_state("load")
                shown = 0
                for url in urls:
                    response = page.goto(f"{live_server.url}{url}", wait_until="load")
                    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                        continue
                    shown += page.url == f"{live_server.url}{url}" and response.ok
                    violations.extend(f"{role} {url}: {v}" for v in page.evaluate("window.__violations || []"))
                assert shown >= 8, f"{role} reached only {shown} pages: not logged in?"
                context.close()
        finally:
            browser.close()
    assert violations == []
