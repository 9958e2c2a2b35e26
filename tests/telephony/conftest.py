"""Telephony fixtures: signed webhook posts, settings, a quiet outbox for unit tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask

from tests.support.signing import signed_post


@pytest.fixture(autouse=True)
def outbox_dispatch_off(app: Flask) -> Iterator[None]:
    """Unit tests run outbox commands themselves; end-to-end tests turn dispatch back on."""
    before = app.config.get("TELEPHONY_OUTBOX_DISPATCH", True)
    app.config["TELEPHONY_OUTBOX_DISPATCH"] = False
    yield
    app.config["TELEPHONY_OUTBOX_DISPATCH"] = before


@pytest.fixture
def twilio_post(app: Flask, client: Any) -> Callable[..., Any]:
    """POST a correctly signed webhook: twilio_post("/twilio/voice/incoming", CallSid=..., From=...)."""

    def post(path: str, **params: str) -> Any:
        return signed_post(app, client, path, params)

    return post


def verbs(response: Any) -> list[str]:
    """Return the verbs of a TwiML answer, depth first (Gather's children included)."""
    root = ElementTree.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return [element.tag for element in root.iter() if element is not root]


def said(response: Any) -> str:
    """Return everything a TwiML answer says, joined."""
    root = ElementTree.fromstring(response.get_data(as_text=True))
    return " ".join(element.text or "" for element in root.iter("Say"))
