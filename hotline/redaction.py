"""Keep personal data out of every log line, errors included.

Every log record of the process is scrubbed when it is made (a log-record
factory), so no handler, formatter or test capture ever sees the original:

- phone numbers in every separator style (`138.0013.8000`, `138-0013-8000`,
  `138 0013 8000`, `(010) 6552-9988`, `+86 138…`, `0086…`), identity card
  numbers and e-mail addresses;
- Chinese text: the code logs in English, so a run of Chinese characters in a
  log line came from what someone typed or said (a name, an address, a note);
- addresses written in Latin letters (`12 Haibin Road`, `Room 301`);
- the names it knows: every short personal value the field cipher encrypts or
  decrypts in this process (callers' names in pinyin, for instance) is
  remembered for a while and replaced wherever it appears.

An exception's stack keeps its frames, but its message is rewritten: a
database error becomes its class and the statement's shape (placeholders, no
parameters, string literals blanked), since drivers put the values in their
messages (`Key (phone)=(…) already exists`); any other message is scrubbed.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections import OrderedDict
from types import TracebackType
from typing import Any

ID_CARD = re.compile(r"(?<![A-Za-z0-9_])\d{17}[\dXx](?![A-Za-z0-9_])")
PHONE = re.compile(r"(?<![A-Za-z0-9_])(?:\+|00)?\(?\d(?:[\s.\-()/]{0,3}\d){6,}(?![A-Za-z0-9_])")
KEPT_DIGITS = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,3}(?:\.\d{1,3}){3}")  # dates and IPv4 addresses are not numbers
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_ADDRESS = re.compile(
    r"\b\d+[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Lu|Jie|Hutong|Alley|Village)\b"
    r"|\b(?:Room|Rm|Flat|Unit|Building|Bldg|No)\.?\s*\d+\b",
)
SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")
DRIVER_MODULES = ("sqlalchemy", "psycopg", "psycopg2", "sqlite3")

KNOWN_LIMIT = 2000
_known: OrderedDict[str, None] = OrderedDict()
_known_lock = threading.Lock()


def remember(value: str | None) -> None:
    """Remember a short personal value (a name, an address) so logs never show it."""
    if value is None or not 2 <= len(value) <= 64 or not any(ch.isalpha() for ch in value):
        return
    with _known_lock:
        _known[value] = None
        _known.move_to_end(value)
        while len(_known) > KNOWN_LIMIT:
            _known.popitem(last=False)


def _number(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if KEPT_DIGITS.fullmatch(text) else "[number]"


def scrub(text: str) -> str:
    """Replace personal data in a text with placeholders."""
    with _known_lock:
        known = [value for value in _known if value in text]
    for value in sorted(known, key=len, reverse=True):
        text = text.replace(value, "[name]")
    text = EMAIL.sub("[email]", text)
    text = ID_CARD.sub("[id]", text)
    text = PHONE.sub(_number, text)
    text = LATIN_ADDRESS.sub("[address]", text)
    return CHINESE.sub("[text]", text)


def describe(error: BaseException) -> str:
    """Return an exception's last line without the personal data its message may hold."""
    from sqlalchemy.exc import StatementError

    name = type(error).__qualname__
    if isinstance(error, StatementError):
        cause = type(error.orig).__name__ if error.orig is not None else "unknown"
        shape = SQL_LITERAL.sub("'…'", " ".join((error.statement or "").split()))[:500]
        return f"{name} ({cause}) in statement: {shape}"
    if type(error).__module__.split(".")[0] in DRIVER_MODULES:
        return f"{type(error).__module__}.{name} (message withheld)"
    return f"{name}: {scrub(str(error))}"


def safe_traceback(error: BaseException) -> str:
    """Return an exception's stack, its chain included, with every message rewritten by describe()."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = []
    for item in reversed(chain):
        frames = "".join(traceback.format_tb(item.__traceback__)) if item.__traceback__ else ""
        parts.append(f"Traceback (most recent call last):\n{frames}{describe(item)}")
    return "\n\nwhich led to:\n\n".join(parts)


def redact_record(record: logging.LogRecord) -> None:
    """Scrub a log record in place: its message, its exception and its stack."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):  # a bad format string must not lose the record
        message = str(record.msg)
    record.msg, record.args = scrub(message), ()
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None] | Any = record.exc_info
    if exc_info and exc_info[1] is not None:
        record.exc_text = safe_traceback(exc_info[1])
        record.exc_info = None
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


def install() -> None:
    """Make every log record of the process go through redact_record (once)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "hotline_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    factory.hotline_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
