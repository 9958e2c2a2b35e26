"""The rota editor in Chromium: drag and drop, keyboard, live validation, filters, month view, languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask

from hotline.accounts.models import Certification, User
from hotline.accounts.services import hash_password
from hotline.clock import hotline_zone, utcnow
from hotline.extensions import db
from hotline.rota.models import Shift
from tests.conftest import TEST_PASSWORD
from tests.support.browser import browser_page, log_in, needs_chromium

pytestmark = needs_chromium


def person(username: str, name: str, role: str, level: str | None, valid_until: date) -> User:
    user = User(username=username, display_name=name, role=role, password_hash=hash_password(TEST_PASSWORD))
    if level:
        user.certifications.append(
            Certification(level=level, number=f"N-{username}", issuing_body="Test", valid_until=valid_until)
        )
    db.session.add(user)
    return user


@pytest.fixture
def monday(app: Flask, live_server: Any) -> Iterator[date]:
    """Commit a manager, four workers and two draft shifts on the Monday after next (local)."""
    with app.app_context():
        today = utcnow().astimezone(hotline_zone()).date()
        day = today + timedelta(days=7 - today.weekday() + 7)
        person("boss", "Boss", "manager", None, day)
        person("ann", "Ann", "worker", "intermediate", day + timedelta(days=400))
        person("cy", "Cy", "worker", "assistant", day + timedelta(days=400))
        person("old", "Old", "worker", "intermediate", today - timedelta(days=1))
        person("sue", "Sue", "supervisor", "senior", day + timedelta(days=400)).skills = ["crisis"]
        zone = hotline_zone()
        for start, end, label in ((9, 13, "上午班"), (13, 17, "下午班")):
            db.session.add(
                Shift(
                    label=label,
                    starts_at=datetime.combine(day, time(start), tzinfo=zone),
                    ends_at=datetime.combine(day, time(end), tzinfo=zone),
                    status="draft",
                )
            )
        db.session.commit()
        db.session.remove()
    yield day


@pytest.fixture
def page(live_server: Any) -> Iterator[Any]:
    with browser_page(width=1400, height=1400, timeout_ms=10_000) as tab:
        yield tab


def test_the_manager_builds_a_shift_in_the_editor(live_server: Any, monday: date, page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/rota?date={monday.isoformat()}")
    expect(page.locator("h1")).to_have_text("排班")
    cells = page.locator("td.shift")
    expect(cells).to_have_count(2)
    morning, afternoon = cells.nth(0), cells.nth(1)
    expect(morning).to_have_class(lambda_has("has-error"))
    expect(page.locator("#issues li.issue.error").first).to_be_visible()

    # Drag a worker from the people list onto the morning shift.
    page.locator("#people li", has_text="Ann").drag_to(morning)
    expect(morning.locator(".chip", has_text="Ann")).to_be_visible()

    # Keyboard: focus the shift, Enter opens the dialog, choose Cy, confirm.
    morning.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#add-dialog")).to_be_visible()
    offered = page.locator("#add-person option").all_inner_texts()
    assert not any(text.startswith("Old") for text in offered), offered  # a lapsed registration is not offered
    page.select_option("#add-person", label="Cy · 助理社会工作师")
    page.keyboard.press("Enter")
    expect(morning.locator(".chip", has_text="Cy")).to_be_visible()

    # Add the supervisor by keyboard with the supervisor duty: the morning is now fully staffed.
    morning.focus()
    page.keyboard.press("Enter")
    page.select_option("#add-duty", "supervisor")
    page.select_option("#add-person", label="Sue · 高级社会工作师")
    page.click("#add-form button[value=add]")
    expect(morning.locator(".chip.supervisor", has_text="Sue")).to_be_visible()
    expect(morning).not_to_have_class(lambda_has("has-error"))

    # An expired certificate is refused, with the reason shown.
    page.locator("#people li", has_text="Old").drag_to(afternoon)
    expect(page.locator("#rota-status")).to_contain_text("到期")
    expect(page.locator("#rota-grid[data-busy]")).to_have_count(0)
    expect(afternoon.locator(".chip")).to_have_count(0)

    # Move Cy to the afternoon by dragging the name; the morning is understaffed again.
    morning.locator(".chip", has_text="Cy").drag_to(afternoon)
    expect(afternoon.locator(".chip", has_text="Cy")).to_be_visible()
    expect(morning).to_have_class(lambda_has("has-error"))

    # Keyboard move: pick Cy up with M, go up to the morning with the arrow key, drop with Enter.
    afternoon.locator(".chip", has_text="Cy").focus()
    page.keyboard.press("m")
    expect(afternoon).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(morning).to_be_focused()
    page.keyboard.press("Enter")
    expect(morning.locator(".chip", has_text="Cy")).to_be_visible()
    expect(morning).not_to_have_class(lambda_has("has-error"))

    # Keyboard remove: Delete on a name.
    morning.locator(".chip", has_text="Cy").focus()
    page.keyboard.press("Delete")
    expect(morning.locator(".chip", has_text="Cy")).to_have_count(0)

    # Arrow keys move between shifts.
    morning.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    expect(afternoon).to_be_focused()

    # Filters by level and skill narrow the people list.
    page.select_option("#filter-level", "intermediate")
    expect(page.locator("#people li")).to_have_text(["Ann · 社会工作师"])  # Old's certificate has lapsed
    page.select_option("#filter-level", "")
    page.select_option("#filter-skill", "crisis")
    expect(page.locator("#people li")).to_have_text(["Sue · 高级社会工作师"])
    page.select_option("#filter-skill", "")

    # The month view, and the page in English.
    page.click("#to-month")
    expect(page.locator("table.rota-month")).to_be_visible()
    expect(page.locator(f"td.month-day[data-date='{monday.isoformat()}'] li").first).to_contain_text("Ann")
    page.click("a[hreflang=en]")
    expect(page.locator("#issues-title")).to_contain_text("Rule breaks")
    page.click("#to-week")
    expect(page.locator("td.shift").first.locator(".shift-head small")).to_contain_text("draft")


def lambda_has(name: str) -> Any:
    import re

    return re.compile(rf"(^|\s){name}(\s|$)")


def minimums_of(app: Flask, label: str) -> tuple[int, int, int]:
    with app.app_context():
        shift = db.session.query(Shift).filter_by(label=label).one()
        values = (shift.min_duty_workers, shift.min_qualified, shift.min_supervisors)
        db.session.remove()
    return values


def test_the_manager_changes_a_shifts_minimums_in_the_editor(
    app: Flask, live_server: Any, monday: date, page: Any
) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/rota?date={monday.isoformat()}")
    morning = page.locator("td.shift").nth(0)
    expect(morning.locator("details.minimums summary")).to_contain_text(
        "最低人数：值班社工 2 人（其中中级或高级 1 人），督导 1 人"
    )
    expect(morning.locator(".staffing")).to_contain_text("0/2")
    understaffed = page.locator("#issues li.issue.error")
    before = understaffed.count()
    assert before > 0
    expect(page.locator("#issue-count")).to_have_text(re.compile(r"^（\d+ 个错误，\d+ 个提醒）$"))

    # More intermediate or senior workers than duty workers: refused beside the shift, the typed values kept.
    morning.locator("details.minimums summary").click()
    form = morning.locator("form.minimums-form")
    form.locator("input[name=min_duty_workers]").fill("1")
    form.locator("input[name=min_qualified]").fill("2")
    form.locator("button[type=submit]").click()
    expect(form.locator(".minimums-error")).to_contain_text("不能超过值班社工人数")
    expect(form.locator("input[name=min_duty_workers]")).to_have_value("1")
    expect(form.locator("input[name=min_qualified]")).to_have_value("2")
    expect(page.locator("#rota-status")).to_contain_text("未能保存：")
    expect(page.locator("#rota-status")).to_contain_text("不能超过")
    assert minimums_of(app, "上午班") == (2, 1, 1)

    # No minimum at all: the shift is staffed as far as the minimums go, and the warnings are redone.
    form.locator("input[name=min_duty_workers]").fill("0")
    form.locator("input[name=min_qualified]").fill("0")
    form.locator("input[name=min_supervisors]").fill("0")
    form.locator("input[name=min_supervisors]").press("Enter")
    expect(page.locator("#rota-status")).to_have_text("已保存。")
    expect(page.locator("#rota-grid[data-busy]")).to_have_count(0)
    morning = page.locator("td.shift").nth(0)
    expect(morning.locator("details.minimums summary")).to_contain_text(
        "值班社工 0 人（其中中级或高级 0 人），督导 0 人"
    )
    expect(morning.locator(".staffing")).to_contain_text("0/0")
    expect(morning).not_to_have_class(lambda_has("has-error"))
    expect(page.locator("#issues li.issue.error")).not_to_have_count(before)
    assert minimums_of(app, "上午班") == (0, 0, 0)
    assert minimums_of(app, "下午班") == (2, 1, 1)


def test_a_worker_has_no_editor_and_no_minimums_control(live_server: Any, monday: date, page: Any) -> None:
    from playwright.sync_api import expect

    log_in(page, live_server.url, "ann")
    response = page.goto(f"{live_server.url}/rota?date={monday.isoformat()}")
    assert response is not None and response.status == 403
    expect(page.locator(".minimums-form")).to_have_count(0)
    page.goto(f"{live_server.url}/rota/mine")
    expect(page.locator(".minimums-form")).to_have_count(0)
