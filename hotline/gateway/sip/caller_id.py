"""Who is calling and what they dialled, read from an INVITE and normalised to E.164."""

from __future__ import annotations

import re

import phonenumbers

ANONYMOUS = "anonymous"
_HEADER = re.compile(r"^(?P<name>[A-Za-z-]+)\s*:\s*(?P<value>.*)$")
_COMPACT = {"f": "from", "t": "to"}
_URI_USER = re.compile(r"(?:sips?|tel):(?P<user>[^@;>\s]+)", re.IGNORECASE)


def header_values(message: str, name: str) -> list[str]:
    """Every value of header `name` (compact forms too) in a raw SIP message's head."""
    wanted = name.lower()
    values = []
    head = message.split("\r\n\r\n", 1)[0]
    for line in head.replace("\r\n", "\n").split("\n")[1:]:
        match = _HEADER.match(line)
        if match is None:
            continue
        header = match["name"].lower()
        if _COMPACT.get(header, header) == wanted:
            values.append(match["value"].strip())
    return values


def uri_user(value: str) -> str | None:
    """The user part of the first SIP or tel URI in a header value."""
    match = _URI_USER.search(value)
    return match["user"] if match else None


def normalise(user: str | None, region: str, area_code: str | None) -> str:
    """Turn a SIP user part into E.164, or "anonymous" when it is withheld or unreadable.

    A Chinese landline sent without its area code ("22292209") gets the trunk's ("022").
    """
    if not user:
        return ANONYMOUS
    digits = re.sub(r"[\s\-().]", "", user.split(";", 1)[0])
    if digits.lower() in (ANONYMOUS, "unknown", "restricted", "private") or not re.fullmatch(r"\+?\d{3,20}", digits):
        return ANONYMOUS
    if area_code and not digits.startswith(("+", "0", "1")) and 7 <= len(digits) <= 8:
        digits = f"0{area_code.lstrip('0')}{digits}"
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return digits if digits.startswith("+") else ANONYMOUS
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def caller_of(message: str, region: str, area_code: str | None) -> str:
    """The caller: `P-Asserted-Identity` when the trunk sends it, else `From`."""
    for header in ("p-asserted-identity", "from"):
        for value in header_values(message, header):
            user = uri_user(value)
            if user:
                return normalise(user, region, area_code)
    return ANONYMOUS


def called_of(message: str, region: str, area_code: str | None) -> str:
    """The number dialled: the request URI's user, else `To`."""
    request_line = message.split("\r\n", 1)[0]
    user = uri_user(request_line)
    if not user:
        for value in header_values(message, "to"):
            user = uri_user(value)
            break
    return normalise(user, region, area_code)
