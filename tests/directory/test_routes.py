"""Directory manager pages: forms keep typed input, CSV import and export, target search."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from hotline.directory.models import Station
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import network  # noqa: F401


def test_manager_adds_a_station_and_errors_keep_the_input(client: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.manager)
    token = csrf_token(client, "/directory/stations/new")
    bad = client.post(
        "/directory/stations/new", data={"name": "新站", "tier": "station", "phone": "abc", "csrf_token": token}
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'value="新站"' in page and "不是有效的电话号码" in page
    good = client.post(
        "/directory/stations/new",
        data={
            "name": "新站",
            "tier": "station",
            "phone": "022 2924 1000",
            "areas_covered": [str(network.other_street.id)],
            "choice_1": "voice",
            "active": "y",
            "csrf_token": token,
        },
    )
    assert good.status_code == 302
    listing = client.get("/directory/stations/").get_data(as_text=True)
    assert "新站" in listing and "乙镇" in listing


def test_manager_edits_an_expert(client: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.manager)
    page = client.get(f"/directory/experts/{network.lawyer.id}").get_data(as_text=True)
    assert "韩律师" in page
    token = csrf_token(client, f"/directory/experts/{network.lawyer.id}")
    late = client.post(
        f"/directory/experts/{network.lawyer.id}",
        data={
            "name": "韩律师",
            "profession": "律师",
            "duty_start": "17:00",
            "duty_end": "09:00",
            "max_open_referrals": "2",
            "csrf_token": token,
        },
    )
    assert late.status_code == 422
    done = client.post(
        f"/directory/experts/{network.lawyer.id}",
        data={
            "name": "韩律师",
            "profession": "律师",
            "skills": ["legal", "family_education"],
            "languages": "zh, en",
            "duty_weekdays": ["2", "4"],
            "max_open_referrals": "4",
            "active": "y",
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    db_session.refresh(network.lawyer)
    assert network.lawyer.languages == ["zh", "en"] and network.lawyer.duty_weekdays == [2, 4]


def test_csv_export_and_import_over_http(client: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.manager)
    exported = client.get("/directory/stations/export.csv")
    assert exported.mimetype == "text/csv" and "甲街道站" in exported.get_data(as_text=True)
    token = csrf_token(client, "/directory/stations/")
    text = "name,tier,area_code,phone\n丙站,station,990001002,13900002222\n"
    response = client.post(
        "/directory/stations/import",
        data={"file": (io.BytesIO(text.encode()), "stations.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db_session.scalar(select(Station).where(Station.name == "丙站")).phone == "+8613900002222"
    bad = "name,tier\n丁站,palace\n"
    client.post(
        "/directory/stations/import",
        data={"file": (io.BytesIO(bad.encode()), "stations.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    page = client.get("/directory/stations/").get_data(as_text=True)
    assert "第 2 行" in page and "未导入" in page


def test_hsds_export_is_a_zip(client: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.manager)
    response = client.get("/directory/hsds/export.zip")
    assert response.mimetype == "application/zip" and response.data[:2] == b"PK"


def test_worker_finds_targets_for_an_area(client: Any, network: Any) -> None:  # noqa: F811
    log_in(client, network.worker)
    page = client.get(f"/directory/targets?area_id={network.community.id}&skill=legal").get_data(as_text=True)
    page = page.split("<tbody>")[1]
    assert page.index("东里社区室") < page.index("甲街道站") < page.index("区中心") < page.index("韩律师")
    assert client.get("/directory/stations/").status_code == 403


def test_expert_duty_days_are_weekday_names(client: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    network.lawyer.duty_weekdays = [7, 3]
    db_session.commit()
    log_in(client, network.manager)
    listing = client.get("/directory/experts/").get_data(as_text=True)
    assert "星期三、星期日" in listing and "3,7" not in listing and "7,3" not in listing


def test_the_skill_lists_name_each_skill_once(app: Any) -> None:
    from hotline.escalation.forms import skill_choices as escalation_skills
    from hotline.rota.forms import skill_choices as rota_skills

    with app.test_request_context():
        for choices in (escalation_skills(), rota_skills()):
            names = [str(name) for _value, name in choices]
            assert names.count("家庭教育") == 1 and names.count("危机介入") == 1, names
            assert len(names) == len(set(names)), names
