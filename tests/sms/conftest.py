"""Stand-in providers and an installation set to send through them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from hotline.extensions import db
from hotline.sms import configuration
from hotline.sms.kinds import KINDS
from tests.conftest import truncate_all
from tests.support.sms_providers import AlibabaStandIn, StandIn, TencentStandIn

SIGN = "宝坻社工热线"
ALIBABA_TEMPLATES = {kind: f"SMS_{1001 + n}" for n, kind in enumerate(KINDS)}
TENCENT_TEMPLATES = {kind: str(2001 + n) for n, kind in enumerate(KINDS)}


@pytest.fixture
def alibaba() -> Iterator[AlibabaStandIn]:
    """Alibaba's stand-in with a template per kind, its variables as the kind's parameters."""
    server = AlibabaStandIn(
        "LTAI-test",
        "alibaba-secret",
        SIGN,
        {ALIBABA_TEMPLATES[name]: list(kind.parameters) for name, kind in KINDS.items()},
    ).start()
    yield server
    server.stop()


@pytest.fixture
def tencent() -> Iterator[TencentStandIn]:
    """Tencent's stand-in with a template per kind, as many {n} as the kind has parameters."""
    server = TencentStandIn(
        "AKID-test",
        "tencent-secret",
        SIGN,
        {TENCENT_TEMPLATES[name]: len(kind.parameters) for name, kind in KINDS.items()},
    ).start()
    yield server
    server.stop()


def configure(app: Flask, session: Any, name: str, server: StandIn) -> None:
    """Set the installation to send through a stand-in: provider, stored (encrypted) secret, every template."""
    app.config["SMS_ALIBABA_ENDPOINT" if name == "alibaba" else "SMS_TENCENT_ENDPOINT"] = server.endpoint
    app.config["SMS_PROTOCOL"] = "http"
    accounts = {
        "alibaba": {"sign_name": SIGN, "access_key_id": server.key_id, "secret": server.secret},
        "tencent": {
            "sign_name": SIGN,
            "sdk_app_id": "1400000001",
            "region": "ap-guangzhou",
            "secret_id": server.key_id,
            "secret": server.secret,
        },
    }
    configuration.save_provider(session, name, {name: accounts[name]}, None)
    ids = ALIBABA_TEMPLATES if name == "alibaba" else TENCENT_TEMPLATES
    for kind, entry in configuration.templates(session, name).items():
        configuration.save_template(session, name, kind, {**entry, "template_id": ids[kind]}, None)
    session.commit()


@pytest.fixture
def sms_config(app: Flask) -> Iterator[Callable[[Any, str, StandIn], None]]:
    """configure(session, provider, stand_in); the app's SMS endpoints are put back afterwards."""
    saved = {key: app.config.get(key) for key in ("SMS_ALIBABA_ENDPOINT", "SMS_TENCENT_ENDPOINT", "SMS_PROTOCOL")}
    yield lambda session, name, server: configure(app, session, name, server)
    app.config.update(saved)


@pytest.fixture
def committed(app: Flask, live_server: Any) -> Iterator[Any]:
    """A session whose work is really committed (a live server must see it); emptied afterwards.

    It asks for the live server so that it is closed before the server's own
    clean-up: on PostgreSQL that TRUNCATE would otherwise wait for ever on this
    session's open transaction.
    """
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            truncate_all(app)
