"""Workers' wishes for the automatic draft: saved, replaced, limited, removed, over HTTP and by the service."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from hotline.rota import wishes
from hotline.rota.exceptions import NotFound, RequestNotValid
from hotline.rota.models import RotaPreference
from hotline.rota.solver import Slot, wishes_match
from tests.conftest import csrf_token, log_in

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
DAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_new_wish_for_the_same_day_and_shift_replaces_the_old(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13)  # 上午班
    ann = crew["ann"].id
    wishes.save_wish(db_session, ann, 2, "上午班", wishes.AVOID, NOW)
    wishes.save_wish(db_session, ann, None, None, wishes.PREFER, NOW)
    wishes.save_wish(db_session, ann, 2, "上午班", wishes.PREFER, NOW)
    mine = wishes.wishes_of(db_session, ann)
    assert [(w.weekday, w.label, w.wish) for w in mine] == [(None, None, 1), (2, "上午班", 1)]
    assert wishes.wishes_of(db_session, crew["bo"].id) == []


def test_a_wish_must_name_a_real_day_shift_and_choice(db_session: Any, make_shift: Any, crew: dict) -> None:
    make_shift(DAY, 9, 13)
    ann = crew["ann"].id
    for weekday, label, wish in ((8, None, -1), (None, "夜班", -1), (None, None, 0)):
        with pytest.raises(RequestNotValid):
            wishes.save_wish(db_session, ann, weekday, label, wish, NOW)
    for weekday in range(1, 8):
        wishes.save_wish(db_session, ann, weekday, None, wishes.AVOID, NOW)
    assert len(wishes.wishes_of(db_session, ann)) == 7


def test_a_worker_keeps_at_most_twenty_wishes(db_session: Any, make_shift: Any, crew: dict) -> None:
    labels = []
    for number, start in enumerate((6, 9, 13)):
        labels.append(make_shift(DAY, start, start + 3, label=f"班{number}").label)
    ann = crew["ann"].id
    for weekday in range(1, 8):
        for label in labels:
            if len(wishes.wishes_of(db_session, ann)) < wishes.MAX_WISHES:
                wishes.save_wish(db_session, ann, weekday, label, wishes.AVOID, NOW)
    with pytest.raises(RequestNotValid):
        wishes.save_wish(db_session, ann, 7, labels[-1], wishes.AVOID, NOW)
    wishes.save_wish(db_session, ann, 1, labels[0], wishes.PREFER, NOW)  # replacing one is still allowed


def test_only_the_owner_removes_a_wish(db_session: Any, crew: dict) -> None:
    wish = wishes.save_wish(db_session, crew["ann"].id, 5, None, wishes.AVOID, NOW)
    with pytest.raises(NotFound):
        wishes.remove_wish(db_session, crew["bo"].id, wish.id)
    wishes.remove_wish(db_session, crew["ann"].id, wish.id)
    assert db_session.scalars(select(RotaPreference)).all() == []


def test_a_worker_states_wishes_on_their_rota_page(
    client: Any, db_session: Any, make_shift: Any, make_user: Any, crew: dict
) -> None:
    shift = make_shift(DAY, 9, 13, workers=[crew["ann"]])
    log_in(client, crew["ann"])
    page = client.get("/rota/mine").get_data(as_text=True)
    assert "我的排班意愿" in page and "暂无意愿" in page and "上午班" in page
    token = csrf_token(client, "/rota/mine")
    # A made-up shift name: the form says what is wrong and keeps the day chosen.
    bad = client.post(
        "/rota/mine/wishes", data={"wish-weekday": "2", "wish-label": "夜班", "wish-wish": "-1", "csrf_token": token}
    )
    assert bad.status_code == 422
    assert '<option selected value="2">' in bad.get_data(as_text=True)
    saved = client.post(
        "/rota/mine/wishes", data={"wish-weekday": "2", "wish-label": "上午班", "wish-wish": "-1", "csrf_token": token}
    )
    assert saved.status_code == 302
    (wish,) = db_session.scalars(select(RotaPreference).where(RotaPreference.user_id == crew["ann"].id)).all()
    assert (wish.weekday, wish.label, wish.wish) == (2, "上午班", -1)
    page = client.get("/rota/mine").get_data(as_text=True)
    assert "星期二 · 上午班 · 尽量不排" in page
    # The automatic draft reads it for this Tuesday morning shift.
    assert wishes_match(wish, Slot(shift=shift, name=shift.label, weight=1.0, weeks={}))
    # Managers see it on the worker's page.
    log_in(client, make_user("manager"))
    assert "排班意愿" in client.get(f"/manage/workers/{crew['ann'].id}").get_data(as_text=True)
    log_in(client, crew["ann"])
    # Without the form's token nothing changes; a colleague cannot remove it.
    assert client.post(f"/rota/mine/wishes/{wish.id}/delete").status_code == 400
    log_in(client, crew["bo"])
    refused = client.post(f"/rota/mine/wishes/{wish.id}/delete", data={"csrf_token": csrf_token(client, "/rota/mine")})
    assert refused.status_code == 404
    log_in(client, crew["ann"])
    gone = client.post(f"/rota/mine/wishes/{wish.id}/delete", data={"csrf_token": csrf_token(client, "/rota/mine")})
    assert gone.status_code == 302 and db_session.scalars(select(RotaPreference)).all() == []


def test_saving_a_wish_needs_a_log_in(client: Any, db_session: Any) -> None:
    form = {"wish-weekday": "1", "wish-label": "", "wish-wish": "-1", "csrf_token": csrf_token(client)}
    answer = client.post("/rota/mine/wishes", data=form)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert db_session.scalars(select(RotaPreference)).all() == []
