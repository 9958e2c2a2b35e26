"""Log-in throttling with growing delays, per account and per real address.

Failed attempts are counted in the rate-limit storage (Redis when REDIS_URL is set,
so every web process shares them). Past a few free failures a scope must wait
before its next attempt, the wait doubling with each further failure (2 s, 4 s, 8 s,
up to 15 minutes); a waiting scope is refused before its password is checked.

The scopes an attempt counts in depend on the browser:

- a browser where this account logged in before carries a signed device cookie
  naming it: its attempts count only for that browser and account ("device"), so
  a stranger's bad tries, from anywhere, cannot lock the worker out of their own
  browser;
- any other browser counts per address and account ("pair"), per account across
  addresses ("account": slows a guesser spread over many addresses) and per
  address across accounts ("address": slows one address trying many accounts).
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

DEVICE_COOKIE = "hotline_device"
DEVICE_COOKIE_DAYS = 180
MEMORY_SECONDS = 24 * 3600
"""How long failures are remembered."""
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 15 * 60
FREE_FAILURES = {"device": 5, "pair": 5, "account": 10, "address": 30}
_MAX_DEVICE_ACCOUNTS = 10


@dataclass
class Attempt:
    """One log-in attempt: where from, for which account, with which device cookie."""

    address: str
    username: str
    device: dict[str, Any] | None = None
    scopes: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.username = self.username.strip().lower()
        if self.device and self.username in self.device.get("accounts", []):
            self.scopes = {"device": f"device:{self.device['id']}|{self.username}"}
        else:
            self.scopes = {
                "pair": f"pair:{self.address}|{self.username}",
                "account": f"account:{self.username}",
                "address": f"address:{self.address}",
            }


def delay_after(kind: str, failures: int) -> int:
    """Return the seconds a scope waits after `failures` failed attempts (0 while they are free)."""
    beyond = failures - FREE_FAILURES[kind]
    if beyond < 0:
        return 0
    return min(FIRST_DELAY_SECONDS * 2 ** min(beyond, 20), MAX_DELAY_SECONDS)


def wait_seconds(storage: Any, attempt: Attempt) -> int:
    """Return how long the attempt must wait before it may be tried (0: go ahead)."""
    now = time.time()
    waits = [storage.get_expiry(_wait_key(key)) - now for key in attempt.scopes.values() if storage.get(_wait_key(key))]
    return max((math.ceil(wait) for wait in waits if wait > 0), default=0)


def failed(storage: Any, attempt: Attempt) -> None:
    """Count a failed attempt in each of its scopes and start their waits."""
    for kind, key in attempt.scopes.items():
        failures = storage.incr(f"login-failures:{key}", MEMORY_SECONDS)
        delay = delay_after(kind, failures)
        if delay:
            storage.clear(_wait_key(key))
            storage.incr(_wait_key(key), delay)


def succeeded(storage: Any, attempt: Attempt) -> None:
    """Forget the failures of this browser and address for this account (not the account-wide ones)."""
    for kind in ("device", "pair"):
        key = attempt.scopes.get(kind)
        if key:
            storage.clear(f"login-failures:{key}")
            storage.clear(_wait_key(key))


def _wait_key(key: str) -> str:
    return f"login-wait:{key}"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="hotline-login-device")


def read_device(secret_key: str, cookie: str | None) -> dict[str, Any] | None:
    """Return the device cookie's content if its signature holds, else None."""
    if not cookie:
        return None
    try:
        device = _serializer(secret_key).loads(cookie)
    except BadSignature:
        return None
    if not isinstance(device, dict) or not isinstance(device.get("id"), str):
        return None
    if not isinstance(device.get("accounts"), list):
        return None
    return device


def device_cookie(secret_key: str, device: dict[str, Any] | None, username: str) -> str:
    """Return a signed device cookie that also names `username` (a shared desk keeps several)."""
    device = device or {"id": secrets.token_urlsafe(16), "accounts": []}
    accounts = [name for name in device["accounts"] if name != username.strip().lower()]
    accounts = [username.strip().lower(), *accounts][:_MAX_DEVICE_ACCOUNTS]
    return _serializer(secret_key).dumps({"id": device["id"], "accounts": accounts})
