"""The five parties in the directory: organisation types, the volunteer register and its CSV import."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from typing import Any

import pytest
from sqlalchemy import select

from hotline.directory import exchange, services
from hotline.directory.exceptions import ImportFailed
from hotline.directory.models import Organisation, Volunteer
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import network  # noqa: F401

TUESDAY_10 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def volunteer_form(token: str, **overrides: Any) -> dict[str, Any]:
    """Return a filled volunteer form."""
    data = {
        "name": "李志愿",
        "phone": "139 0000 3333",
        "skills": ["home_visit", "errands"],
        "available_weekdays": ["2", "6"],
        "available_from": "09:00",
        "available_until": "17:00",
        "active": "y",
        "csrf_token": token,
    }
    data.update(overrides)
    return data


def test_manager_registers_a_volunteer_and_errors_keep_the_input(
    client: Any,
    db_session: Any,
    network: Any,  # noqa: F811
) -> None:
    log_in(client, network.manager)
    token = csrf_token(client, "/directory/volunteers/new")
    form = volunteer_form(token, area_ids=[str(network.community.id)], phone="abc", available_until="08:00")
    bad = client.post("/directory/volunteers/new", data=form)
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'value="李志愿"' in page and "不是有效的电话号码" in page and "空闲时段须在开始之后结束" in page
    assert 'selected value="home_visit"' in page
    good = client.post("/directory/volunteers/new", data=volunteer_form(token, area_ids=[str(network.community.id)]))
    assert good.status_code == 302
    volunteer = db_session.scalar(select(Volunteer).where(Volunteer.name == "李志愿"))
    assert volunteer.phone == "+8613900003333" and volunteer.skills == ["home_visit", "errands"]
    assert [a.id for a in volunteer.areas] == [network.community.id] and volunteer.available_weekdays == [2, 6]
    listing = client.get("/directory/volunteers/").get_data(as_text=True)
    assert "李志愿" in listing and "上门探访" in listing and "甲街道东里社区" in listing and "星期二" in listing


def test_manager_deactivates_a_volunteer(client: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    volunteer = Volunteer(name="周志愿", phone="+8613900004444", skills=["errands"], areas=[network.street])
    db_session.add(volunteer)
    db_session.commit()
    log_in(client, network.manager)
    token = csrf_token(client, f"/directory/volunteers/{volunteer.id}")
    page = client.get(f"/directory/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "周志愿" in page and f'selected value="{network.street.id}"' in page
    done = client.post(
        f"/directory/volunteers/{volunteer.id}",
        data={"name": "周志愿", "area_ids": [str(network.street.id)], "skills": ["errands"], "csrf_token": token},
    )
    assert done.status_code == 302
    db_session.refresh(volunteer)
    assert volunteer.active is False
    assert services.available_volunteers(db_session, network.community.id, TUESDAY_10) == []


def test_only_managers_reach_the_register(client: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.supervisor)
    assert client.get("/directory/volunteers/").status_code == 403
    assert client.get("/directory/volunteers/new").status_code == 403


def test_available_volunteers_by_area_skill_and_time(db_session: Any, network: Any) -> None:  # noqa: F811
    near = Volunteer(name="近", skills=["home_visit"], areas=[network.community], available_weekdays=[2])
    street = Volunteer(name="街", skills=["errands"], areas=[network.street])
    weekend = Volunteer(name="周末", skills=["home_visit"], areas=[network.community], available_weekdays=[6, 7])
    evening = Volunteer(name="晚上", areas=[network.community], available_from=time(18, 0))
    elsewhere = Volunteer(name="别处", areas=[network.other_street])
    db_session.add_all([street, near, weekend, evening, elsewhere])
    db_session.commit()
    found = services.available_volunteers(db_session, network.community.id, TUESDAY_10)
    assert [v.name for v in found] == ["近", "街"]
    assert [v.name for v in services.available_volunteers(db_session, network.community.id, TUESDAY_10, "errands")] == [
        "街"
    ]
    # An expert's skill does not narrow the ordinary volunteers.
    assert len(services.available_volunteers(db_session, network.community.id, TUESDAY_10, "legal")) == 2


def test_volunteer_csv_round_trip(app: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    text = (
        "name,phone,skills,areas,available_weekdays,available_from,available_until\n"
        "王志愿,13900005555,home_visit;tutoring,990001001001;990001002,1;3,08:30,12:00\n"
    )
    with app.test_request_context():
        assert exchange.import_csv(db_session, "volunteers", text) == (1, 0)
        exported = exchange.export_csv(db_session, "volunteers")
    volunteer = db_session.scalar(select(Volunteer).where(Volunteer.name == "王志愿"))
    assert volunteer.available_from == time(8, 30) and {a.code for a in volunteer.areas} == {
        "990001001001",
        "990001002",
    }
    assert "王志愿,+8613900005555,home_visit;tutoring,990001001001;990001002,1;3,08:30,12:00" in exported


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("赵,abc,,,,,", "第 2 行：phone 列：不是电话号码：abc"),
        ("赵,,flying,,,,", "第 2 行：skills 列：未知技能 flying"),
        ("赵,,,990009,,,", "第 2 行：areas 列：没有代码为 990009 的地区"),
        ("赵,,,,8,,", "第 2 行：available_weekdays 列：星期为 1（周一）至 7（周日）"),
        ("赵,,,,,9点,", "第 2 行：available_from 列：不是时间（HH:MM）：9点"),
        ("赵,,,,,10:00,09:00", "第 2 行：available_until 列：须晚于 available_from"),
        (",,,,,,", "第 2 行：name 列：必填"),
    ],
)
def test_volunteer_import_names_the_row_and_column_in_chinese(
    client: Any,
    db_session: Any,
    network: Any,  # noqa: F811
    row: str,
    message: str,
) -> None:
    log_in(client, network.manager)
    token = csrf_token(client, "/directory/volunteers/")
    text = f"name,phone,skills,areas,available_weekdays,available_from,available_until\n钱,,,,,,\n{row}\n"
    client.post(
        "/directory/volunteers/import",
        data={"file": (io.BytesIO(text.encode()), "volunteers.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    page = client.get("/directory/volunteers/").get_data(as_text=True)
    assert message.replace("第 2 行", "第 3 行") in page and "未导入" in page
    assert db_session.scalar(select(Volunteer).where(Volunteer.name == "钱")) is None


def test_organisation_type_is_edited_shown_and_filtered(
    client: Any,
    db_session: Any,
    network: Any,  # noqa: F811
) -> None:
    assert network.charity.kind == "social_organisation"
    team = Organisation(name="青年志愿服务队", kind="volunteer_team", services=["needs"])
    db_session.add(team)
    db_session.commit()
    log_in(client, network.manager)
    token = csrf_token(client, f"/directory/organisations/{network.charity.id}")
    page = client.get(f"/directory/organisations/{network.charity.id}").get_data(as_text=True)
    assert "慈善资源" in page and "志愿服务队" in page
    done = client.post(
        f"/directory/organisations/{network.charity.id}",
        data={"name": "慈善协会", "kind": "charity_resource", "active": "y", "csrf_token": token},
    )
    assert done.status_code == 302
    db_session.refresh(network.charity)
    assert network.charity.kind == "charity_resource"
    listing = client.get("/directory/organisations/?type=volunteer_team").get_data(as_text=True)
    table = listing.split("<tbody>")[1]
    assert "青年志愿服务队" in table and "慈善协会" not in table and "志愿服务队" in table
    everyone = client.get("/directory/organisations/").get_data(as_text=True).split("<tbody>")[1]
    assert "慈善协会" in everyone and "慈善资源" in everyone


def test_organisation_import_checks_the_type(app: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    with app.test_request_context(), pytest.raises(ImportFailed) as failure:
        exchange.import_csv(db_session, "organisations", "name,kind\n社区甲,palace\n")
    line, message = failure.value.errors[0]
    assert line == 2 and "kind" in message and "palace" in message
    with app.test_request_context():
        exchange.import_csv(db_session, "organisations", "name,kind\n东里社区居委会,community\n")
    assert db_session.scalar(select(Organisation).where(Organisation.name == "东里社区居委会")).kind == "community"


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("areas", "code,name,level\n120115999,某地,planet\n", "第 2 行：level 列：未知层级 planet（可选："),
        ("stations", "name,tier\n某站,castle\n", "第 2 行：tier 列：未知站点级别 castle（可选："),
        ("experts", "name,duty_weekdays\n某专家,9\n", "第 2 行：duty_weekdays 列：星期为 1（周一）至 7（周日）"),
    ],
)
def test_every_kind_of_import_names_the_row_and_column_in_chinese(
    client: Any,
    network: Any,  # noqa: F811
    kind: str,
    text: str,
    message: str,
) -> None:
    log_in(client, network.manager)
    token = csrf_token(client, f"/directory/{kind}/")
    client.post(
        f"/directory/{kind}/import",
        data={"file": (io.BytesIO(text.encode()), f"{kind}.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    page = client.get(f"/directory/{kind}/").get_data(as_text=True)
    assert message in page and "未导入" in page
