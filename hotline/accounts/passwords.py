"""The password policy: at least 12 characters, and not a common password in disguise.

`common-passwords.txt.gz` holds the 20,000 most frequent passwords of at least 4
characters from the list zxcvbn ships (data/passwords.txt, MIT licence, Copyright
(c) 2012-2016 Dan Wheeler and Dropbox, Inc.), lower-cased. A password is refused
when, lower-cased and with common letter-for-digit swaps undone, it is one of them,
is one of them with digits or symbols around it ("Password2026!"), repeats a short
piece ("abcabcabcabc"), is mostly a keyboard or alphabet walk ("qwertyuiop12",
"123456789012") or contains the username.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
_LIST = Path(__file__).with_name("common-passwords.txt.gz")
_UNLEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_EDGES = re.compile(r"^[\d\W_]+|[\d\W_]+$")
_WALKS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")
_COLUMNS = ("1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik", "9ol", "0p")

# Problem codes, in the order they are checked; forms and the CLI turn them into messages.
TOO_SHORT, HAS_USERNAME, TOO_SIMPLE, TOO_COMMON = "too_short", "has_username", "too_simple", "too_common"


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords (read once per process)."""
    with gzip.open(_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def problem(password: str, username: str | None = None) -> str | None:
    """Return why the policy refuses `password` (a problem code), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    lowered = password.lower()
    if username and len(username) >= 3 and username.strip().lower() in lowered:
        return HAS_USERNAME
    if re.fullmatch(r"(.{1,6}?)\1+", lowered) or _mostly_a_walk(lowered) or len(set(lowered)) < 5:
        return TOO_SIMPLE
    common = common_passwords()
    for candidate in {lowered, lowered.translate(_UNLEET)}:
        core = _EDGES.sub("", candidate)
        if candidate in common or core in common or _repeats_common(core, common):
            return TOO_COMMON
    return None


def _adjacent(first: str, second: str) -> bool:
    """Return whether two characters are the same or neighbours on a keyboard row, column or the alphabet."""
    if first == second:
        return True
    for line in _WALKS + _COLUMNS:
        if first in line and second in line and abs(line.index(first) - line.index(second)) == 1:
            return True
    return False


def _mostly_a_walk(password: str) -> bool:
    """Return whether three quarters of the password's steps go to a neighbouring key or letter."""
    steps = list(zip(password, password[1:], strict=False))
    return sum(_adjacent(first, second) for first, second in steps) >= 0.75 * len(steps)


def _repeats_common(core: str, common: frozenset[str]) -> bool:
    """Return whether `core` is a common password said twice or more ("monkeymonkey")."""
    match = re.fullmatch(r"(.+?)\1+", core)
    return bool(match and match.group(1) in common)
