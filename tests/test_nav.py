"""The header: links grouped into menus, collapsed behind one button on a phone, never wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from hotline import nav
from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.extensions import db
from hotline.vocabulary import Role
from tests.conftest import TEST_PASSWORD
from tests.support.browser import browser_page, log_in, needs_chromium

WIDTHS = (390, 1366)


def test_manager_pages_go_into_manage_and_casework_into_its_menu() -> None:
    items = [
        nav.NavItem("home.index", "Home", Role.WORKER, 0),
        nav.NavItem("cases.case_list", "Cases", Role.WORKER, 30),
        nav.NavItem("rota.editor", "Rota", Role.MANAGER, 30),
        nav.NavItem("cases.follow_up_list", "Follow-ups", Role.WORKER, 31),
        nav.NavItem("reports.report", "Reports", Role.MANAGER, 60),
        nav.NavItem("accounts.users", "Accounts", Role.ADMIN, 90),
        nav.NavItem("x.alone", "Alone", Role.WORKER, 95, menu="other"),
    ]
    entries = nav.entries(items)
    shape = [(e.key, [i.endpoint for i in e.items]) if isinstance(e, nav.NavMenu) else e.endpoint for e in entries]
    assert shape == [
        "home.index",
        ("cases", ["cases.case_list", "cases.follow_up_list"]),
        ("manage", ["rota.editor", "accounts.users"]),
        "reports.report",
        "x.alone",  # a menu of one link is that link
    ]


@pytest.fixture
def people(app: Flask) -> None:
    with app.app_context():
        for username, role in (("nav-manager", "manager"), ("nav-worker", "worker")):
            db.session.add(
                User(username=username, display_name="王晓明", role=role, password_hash=hash_password(TEST_PASSWORD))
            )
        db.session.commit()
        db.session.remove()


def overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scroll)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@needs_chromium
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_header_fits_a_phone_and_a_laptop(live_server: Any, people: None, locale: str) -> None:
    from playwright.sync_api import expect

    for username in ("nav-manager", "nav-worker"):
        for width in WIDTHS:
            with browser_page(locale=locale, width=width, height=800) as page:
                log_in(page, live_server.url, username)
                for path in ("/", "/reports", "/reports/monthly"):
                    page.goto(f"{live_server.url}{path}")
                    assert overflow(page) == 0, (username, width, path)
                toggle = page.locator("[data-nav-toggle]")
                links = page.locator("#main-nav")
                if width == 390:
                    expect(links).to_be_hidden()
                    toggle.click()
                    expect(toggle).to_have_attribute("aria-expanded", "true")
                    expect(links).to_be_visible()
                    assert overflow(page) == 0, (username, width, "open")
                else:
                    expect(toggle).to_be_hidden()
                    expect(links).to_be_visible()
                    # One row of links: the bar is no taller than two lines of text.
                    assert page.locator(".topbar").bounding_box()["height"] < 100, (username, locale)
                if username == "nav-manager":
                    menu = page.locator(".nav-menu", has=page.locator("a[href='/manage/telephony']"))
                    menu.locator("summary").click()
                    expect(menu.locator("a[href='/manage/telephony']")).to_be_visible()
                    assert overflow(page) == 0, (username, width, "menu open")
