"""Finding a target, and CSV / Open Referral HSDS import and export."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from hotline.directory import exchange, hsds
from hotline.directory.exceptions import ImportFailed
from hotline.directory.models import Organisation, Station
from hotline.directory.services import distance_km, find_targets
from tests.escalation.conftest import network  # noqa: F401  (the shared test district)


def names(targets: list[Any]) -> list[str]:
    return [target.name for target in targets]


def test_community_then_street_then_district_centre(db_session: Any, network: Any) -> None:  # noqa: F811
    targets = find_targets(db_session, area_id=network.community.id)
    assert names(targets)[:2] == ["东里社区室", "甲街道站"]
    assert names(targets)[-1] == "区中心"
    assert [t.why for t in targets][:2] == ["covers the area", "covers the area"]


def test_a_community_without_a_room_goes_to_its_street_station(db_session: Any, network: Any) -> None:  # noqa: F811
    targets = find_targets(db_session, area_id=network.plain_community.id)
    assert names(targets)[0] == "甲街道站" and names(targets)[-1] == "区中心"


def test_an_inactive_station_is_passed_over(db_session: Any, network: Any) -> None:  # noqa: F811
    network.room.active = False
    db_session.commit()
    assert names(find_targets(db_session, area_id=network.community.id))[0] == "甲街道站"


def test_by_distance_when_only_coordinates_are_known(db_session: Any, network: Any) -> None:  # noqa: F811
    targets = find_targets(db_session, latitude=39.66, longitude=117.39)
    assert names(targets)[0] == "乙镇站" and targets[0].distance_km < 2
    assert names(targets)[-1] == "区中心"


def test_by_distance_when_only_the_city_is_known(db_session: Any, network: Any) -> None:  # noqa: F811
    targets = find_targets(db_session, city="乙镇")
    assert names(targets)[0] == "乙镇站"


def test_experts_with_the_skill_follow_the_stations(db_session: Any, network: Any) -> None:  # noqa: F811
    targets = find_targets(db_session, area_id=network.community.id, skill="legal")
    assert targets[-1].kind == "expert" and targets[-1].name == "韩律师"


def test_distance_is_the_great_circle() -> None:
    assert distance_km(39.9042, 116.4074, 39.3434, 117.3616) == pytest.approx(102.8, abs=1)  # Beijing–Tianjin centres


def test_csv_round_trip_keeps_every_field(db_session: Any, network: Any) -> None:  # noqa: F811
    text = exchange.export_csv(db_session, "stations")
    assert "甲街道站" in text and "990001001;990001001001;990001001002" in text
    changed = text.replace("+8613900000001", "+8613900009999")
    assert exchange.import_csv(db_session, "stations", changed) == (0, 4)
    station = db_session.scalar(select(Station).where(Station.name == "甲街道站"))
    assert station.duty_contact_phone == "+8613900009999" and len(station.areas_covered) == 3


def test_csv_import_creates_and_reports_bad_rows_without_importing(db_session: Any, network: Any) -> None:  # noqa: F811
    good = (
        "name,profession,phone,skills,duty_weekdays,duty_start,duty_end\n"
        "李心理,心理咨询师,13900001111,psychology,1;3,09:00,12:00\n"
    )
    assert exchange.import_csv(db_session, "experts", good) == (1, 0)
    bad = "name,profession,phone,duty_weekdays\n王律师,律师,not-a-number,1\n赵律师,律师,,9\n"
    with pytest.raises(ImportFailed) as failure:
        exchange.import_csv(db_session, "experts", bad)
    assert [line for line, _ in failure.value.errors] == [2, 3]
    from hotline.directory.models import ExpertVolunteer

    assert db_session.scalar(select(ExpertVolunteer).where(ExpertVolunteer.name == "王律师")) is None


def test_areas_import_links_parents_in_the_same_file(db_session: Any, network: Any) -> None:  # noqa: F811
    text = "code,name,level,parent_code\n990002,丙区,district,\n990002001,丙街道,street,990002\n"
    assert exchange.import_csv(db_session, "areas", text) == (2, 0)


def test_hsds_round_trip(db_session: Any, network: Any) -> None:  # noqa: F811
    data = hsds.export_hsds(db_session)
    charity = db_session.scalar(select(Organisation).where(Organisation.name == "慈善协会"))
    area_id = charity.area_id
    assert area_id is not None  # exported as its location
    charity.services, charity.area = [], None
    db_session.commit()
    assert hsds.import_hsds(db_session, data) == (0, 1)
    db_session.refresh(charity)
    assert charity.services == ["resources"] and charity.area_id == area_id
    with pytest.raises(ImportFailed):
        hsds.import_hsds(db_session, b"not a zip")


def test_hsds_import_errors_are_in_the_readers_language(app: Any, db_session: Any, network: Any) -> None:  # noqa: F811
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("organizations.csv", "id,name\n1,\n")
    with app.test_request_context(), pytest.raises(ImportFailed) as failure:
        hsds.import_hsds(db_session, bundle.getvalue())
    assert failure.value.errors == [(2, "name 列：必填")]
    with app.test_request_context(), pytest.raises(ImportFailed) as failure:
        hsds.import_hsds(db_session, b"not a zip")
    assert failure.value.errors == [(0, "应为包含 organizations.csv（及 services.csv）的 zip 文件")]
