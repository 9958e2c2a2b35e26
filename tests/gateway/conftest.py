"""Gateway fixtures: the tiny app the interpreter calls, a network against it, twilio clients for the REST server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twilio.rest import Client

from hotline.gateway import Gateway
from hotline.gateway.interpreter import Network
from hotline.telephony.twilio_http import build_client
from tests.conftest import LiveServer
from tests.gateway.twiml_app import ACCOUNT, PUBLIC, TOKEN, AppRecord, make_app


@pytest.fixture
def record() -> AppRecord:
    """What the interpreter's tiny app saw."""
    return AppRecord()


@pytest.fixture
def app_server(record: AppRecord) -> Iterator[LiveServer]:
    """Serve the interpreter's tiny app on a free port (a test may stop it early)."""
    server = LiveServer(make_app(record)).start()
    yield server
    server.stop()


@pytest.fixture
def app_url(app_server: LiveServer) -> str:
    """The tiny app's base URL."""
    return app_server.url


@pytest.fixture
def network(app_url: str) -> Iterator[Network]:
    """A network against the tiny app, with a status callback and an SMS URL."""
    with Network(
        app_url,
        PUBLIC,
        TOKEN,
        ACCOUNT,
        "/voice/incoming",
        status_callback_url="/voice/status",
        sms_url="/sms",
    ) as network:
        yield network


@pytest.fixture
def rest_client() -> Iterator[Callable[..., Client]]:
    """Build twilio clients pointed at a gateway's REST server: rest_client(gateway, auth_token=...)."""
    made: list[Client] = []

    def build(gateway: Gateway, **kwargs: Any) -> Client:
        kwargs.setdefault("auth_token", gateway.rest.auth_token)
        client = build_client(gateway.network.account_sid, api_base_url=gateway.rest_url, **kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        client.http_client.session.close()
