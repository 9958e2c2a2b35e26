"""Personal data: field encryption at rest, keyed hashes for look-ups, masking for display.

Keys come from FIELD_ENCRYPTION_KEY: comma-separated Fernet keys, the first one
encrypts, every one decrypts (MultiFernet). Look-up hashes are HMAC-SHA256 keyed
by a key derived from each encryption key, so after a rotation a look-up matches
rows hashed under the old key too until `flask --app wsgi keys rotate` rewrites them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Text, TypeDecorator

from hotline import redaction

WITHHELD_NUMBERS = {"anonymous", "unknown", "restricted", "private", "unavailable", ""}


class FieldCipher:
    """Encrypt, decrypt and hash personal fields with a ring of keys."""

    def __init__(self, keys: str) -> None:
        raw_keys = [key.strip().encode() for key in keys.split(",") if key.strip()]
        if not raw_keys:
            raise ValueError("no field encryption key")
        self._fernets = [Fernet(key) for key in raw_keys]
        self._multi = MultiFernet(self._fernets)
        self._hash_keys = [_derive_hash_key(key) for key in raw_keys]

    def encrypt(self, plaintext: str) -> str:
        """Encrypt with the primary key."""
        return self._multi.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt with whichever key encrypted the value."""
        return self._multi.decrypt(token.encode()).decode()

    def rotate(self, token: str) -> str:
        """Re-encrypt a value under the primary key."""
        return self._multi.rotate(token.encode()).decode()

    def lookup_hash(self, value: str) -> str:
        """Return the keyed hash of a value under the primary key."""
        return _hmac(self._hash_keys[0], value)

    def lookup_hashes(self, value: str) -> list[str]:
        """Return the keyed hashes under every key (for look-ups during a rotation)."""
        return [_hmac(key, value) for key in self._hash_keys]


def _derive_hash_key(key: bytes) -> bytes:
    """Derive a separate HMAC key from a Fernet key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hotline lookup hash").derive(key)


def _hmac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def cipher() -> FieldCipher:
    """Return the application's field cipher."""
    return current_app.extensions["hotline_cipher"]


class EncryptedString(TypeDecorator):
    """A string column stored encrypted; the Python side sees plaintext.

    A column made with `name=True` (a person's name, an address) also hands its
    values to the log scrubber, which then replaces them in any log line.
    """

    impl = Text
    cache_ok = True

    def __init__(self, *args: Any, name: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name = name

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        """Encrypt on the way in."""
        if value is None:
            return None
        if self.name:
            redaction.remember(value)
        return cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        """Decrypt on the way out; an undecryptable value reads as None, never as ciphertext."""
        if value is None:
            return None
        try:
            plaintext = cipher().decrypt(value)
        except InvalidToken:
            current_app.logger.error("field could not be decrypted with any configured key")
            return None
        if self.name:
            redaction.remember(plaintext)
        return plaintext


class EncryptedJSON(TypeDecorator):
    """A JSON value stored encrypted (the token of its JSON text); the Python side sees the value."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """Serialise and encrypt on the way in (None as JSON null, as the JSON type stores it)."""
        return cipher().encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        """Decrypt and parse on the way out; an undecryptable value reads as None."""
        if value is None:
            return None
        try:
            return json.loads(cipher().decrypt(value))
        except InvalidToken:
            current_app.logger.error("field could not be decrypted with any configured key")
            return None


LOOKUP_HASH = String(64)


def parse_phone(raw: str | None, region: str = "CN") -> phonenumbers.PhoneNumber | None:
    """Parse a phone number, or return None for a withheld, unparseable or impossible number."""
    if raw is None:
        return None
    text = raw.strip()
    if text.lower() in WITHHELD_NUMBERS or text.lower().startswith("client:"):
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def e164_of(parsed: phonenumbers.PhoneNumber | None) -> str | None:
    """Return a parsed number in E.164."""
    return None if parsed is None else phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


PHONE_ERROR = _l(
    "This is not a phone number: give a mobile number (13812345678) or a landline with its area code (022-88880000)."
)
"""The one message for a phone field that does not hold a valid number."""
TYPED_PHONE = re.compile(r"^\+?[0-9\s\-().（）]+$")
"""What a typed phone number may contain: digits, a leading +, spaces, dashes, brackets, dots."""


def entered_phone(raw: str | None, region: str = "CN") -> str | None:
    """Return a number a person typed in E.164, or None when it is not a valid phone number.

    Stricter than `normalise_phone` (for caller IDs): no letters (phonenumbers
    would read 12345abc as a vanity number), and the number must be valid for its
    country, not only of a possible length.
    """
    text = (raw or "").strip()
    if not text or not TYPED_PHONE.match(text):
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(raw: str | None, region: str = "CN") -> str | None:
    """Parse a phone number to E.164, or None for a withheld or unparseable number."""
    return e164_of(parse_phone(raw, region))


def phone_lookup_hash(e164: str | None) -> str | None:
    """Return the keyed look-up hash of an E.164 number."""
    return cipher().lookup_hash(e164) if e164 else None


def phone_lookup_hashes(e164: str | None) -> list[str]:
    """Return the look-up hashes of an E.164 number under every key."""
    return cipher().lookup_hashes(e164) if e164 else []


def national_digits(e164: str) -> str:
    """Return the digits of a number after its country code (a number that is not E.164: all its digits).

    Country calling codes are prefix-free, so the first one to three digits that
    are a known code are the code: no need to parse (and validate) the number.
    """
    digits = "".join(ch for ch in e164 if ch.isdigit())
    if e164.lstrip().startswith("+"):
        for length in (1, 2, 3):
            if digits[:length] and int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                return digits[length:]
    return digits


def mask_phone(e164: str | None) -> str:
    """Mask a number for display: +8613812345678 -> 138****5678."""
    if not e164:
        return "—"
    national = national_digits(e164)
    if len(national) <= 4:
        return "*" * len(national)
    if len(national) <= 7:
        return "*" * (len(national) - 4) + national[-4:]
    return national[:3] + "****" + national[-4:]


def init_app(app: Any) -> None:
    """Install the field cipher on the app."""
    app.extensions["hotline_cipher"] = FieldCipher(app.config["FIELD_ENCRYPTION_KEY"])


@dataclass(frozen=True)
class EncryptedModel:
    """A mapped class with encrypted columns, and the look-up hash column that follows each hashed one."""

    model: type
    key: str
    fields: tuple[str, ...]
    hashed: dict[str, str]


def personal_columns() -> list[EncryptedModel]:
    """Return every mapped class with encrypted columns, found from the mappers (no list kept by hand).

    A column's look-up hash is declared on it:
    `mapped_column(EncryptedString(), info={"lookup_hash": "from_hash"})`.
    """
    from hotline.db import Base

    found = []
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.class_.__name__):
        fields, hashed = [], {}
        for attribute in mapper.column_attrs:
            column = attribute.columns[0]
            if isinstance(column.type, EncryptedString | EncryptedJSON) and column.table is mapper.local_table:
                fields.append(attribute.key)
                if "lookup_hash" in column.info:
                    hashed[attribute.key] = column.info["lookup_hash"]
        if fields:
            key = mapper.get_property_by_column(mapper.primary_key[0]).key
            found.append(EncryptedModel(mapper.class_, key, tuple(fields), hashed))
    return found


def rotate_personal_fields(session: Any, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted column and recompute look-up hashes under the primary key.

    Args:
        session: the database session (committed after each batch).
        batch: rows read and written per commit.

    Returns:
        How many rows of each table were re-encrypted.
    """
    from sqlalchemy import select
    from sqlalchemy.orm.attributes import flag_modified

    counts: dict[str, int] = {}
    for entry in personal_columns():
        model, done, last_id = entry.model, 0, 0
        key = getattr(model, entry.key)
        while True:
            rows = list(session.scalars(select(model).where(key > last_id).order_by(key).limit(batch)))
            if not rows:
                break
            for row in rows:
                for field in entry.fields:
                    # Re-assigning the plaintext makes SQLAlchemy write it again, encrypted anew.
                    value = getattr(row, field)
                    setattr(row, field, value)
                    flag_modified(row, field)
                    if field in entry.hashed:
                        setattr(row, entry.hashed[field], cipher().lookup_hash(value) if value else None)
                last_id = getattr(row, entry.key)
                done += 1
            session.commit()
        counts[model.__tablename__] = done
    return counts
