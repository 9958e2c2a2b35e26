"""The log scrubber: numbers in every style, names it knows, addresses; database errors by their shape."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hotline import redaction


@pytest.mark.parametrize(
    "number",
    [
        "13800138000",
        "138.0013.8000",
        "138-0013-8000",
        "138 0013 8000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "+8613800138000",
        "008613800138000",
        "(010) 6552-9988",
        "010-65529988",
        "022 2345 6789",
    ],
)
def test_every_separator_style_of_a_phone_number_is_scrubbed(number: str) -> None:
    scrubbed = redaction.scrub(f"caller {number} rang")
    assert scrubbed == "caller [number] rang", scrubbed


def test_dates_addresses_and_identifiers_stay_readable() -> None:
    line = "run on 2026-03-01 from 127.0.0.1 for call CA0123456789abcdef0123456789abcdef, case 42"
    assert redaction.scrub(line) == line


def test_chinese_text_latin_addresses_emails_and_id_numbers_are_scrubbed() -> None:
    line = "张三 lives at 12 Haibin Road, Room 301; zhang@example.cn; id 12011519800101123X; 住在海滨街道5号"
    scrubbed = redaction.scrub(line)
    for secret in ("张三", "Haibin", "301", "zhang@", "12011519800101123X", "海滨街道"):
        assert secret not in scrubbed
    assert "[address]" in scrubbed and "[email]" in scrubbed and "[id]" in scrubbed and "[text]" in scrubbed


def test_names_it_knows_are_scrubbed() -> None:
    redaction.remember("Wang Xiaoming")
    assert redaction.scrub("note by Wang Xiaoming saved") == "note by [name] saved"
    redaction.remember("42")  # no letter: numbers have their own patterns
    assert redaction.scrub("case 42") == "case 42"


def test_a_database_error_is_logged_by_its_class_and_statement_shape(app: object, db_session: object) -> None:
    secret = "Zhao Mingyu +86 139 0000 1234 家住海滨街道"
    statement = text("SELECT :note, no_such_column FROM users WHERE display_name = 'Li Lei'")
    try:
        db_session.execute(statement, {"note": secret})
    except DBAPIError as error:
        db_session.rollback()
        described = redaction.describe(error)
        stack = redaction.safe_traceback(error)
    assert described.startswith(("OperationalError (OperationalError)", "ProgrammingError (UndefinedColumn)"))
    assert "no_such_column FROM users WHERE display_name = '…'" in described
    for fragment in ("Zhao", "1234", "海滨", "Li Lei"):
        assert fragment not in described and fragment not in stack


def test_records_are_scrubbed_when_made_so_every_handler_sees_them_clean(caplog: pytest.LogCaptureFixture) -> None:
    redaction.install()
    logger = logging.getLogger("hotline.test")
    with caplog.at_level(logging.INFO, logger="hotline.test"):
        logger.info("caller %s said %s", "138.0013.8000", "我叫李四")
        message = "invalid literal: 'Flat 7, 88 Jiefang Road' 13900001234"
        try:
            raise ValueError(message)
        except ValueError:
            logger.exception("failed")
    assert "138.0013" not in caplog.text and "李四" not in caplog.text
    assert "Jiefang" not in caplog.text and "13900001234" not in caplog.text
    assert "ValueError" in caplog.text and "Traceback" in caplog.text
