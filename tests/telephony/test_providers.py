"""Every provider does the same four things; TwilioProvider against the Twilio-compatible REST server."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from hotline.gateway import start_gateway
from hotline.gateway.interpreter import CallerScript, Recording
from hotline.telephony.provider_impls import TwilioProvider, install_provider
from hotline.telephony.providers import RecordingProvider, TelephonyError

TOKEN = "provider-token"
ACCOUNT = "AC" + "7" * 32
HOTLINE = "+862288880000"


@pytest.fixture
def fake() -> Any:
    with start_gateway("http://127.0.0.1:9", "https://hotline.example.org", TOKEN, ACCOUNT) as server:
        yield server


def conformance(provider: Any) -> None:
    """The interface every provider honours."""
    assert provider.send_sms("+8613900000001", "您好").startswith("SM")
    assert provider.place_call("+8613900000001", "https://hotline.example.org/twilio/x").startswith("CA")


def test_recording_provider_conforms() -> None:
    conformance(RecordingProvider())


def test_twilio_provider_conforms_against_the_rest_server(fake: Any) -> None:
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base_url=fake.rest_url)
    fake.network.default_callee = CallerScript(answer="no-answer")
    conformance(provider)
    assert fake.rest.requests_to("POST", r"/Messages\.json")[0].params["Body"] == "您好"
    assert fake.rest.requests_to("POST", r"/Calls\.json")[0].params["To"] == "+8613900000001"


def test_twilio_provider_redirects_and_hangs_up_live_calls(fake: Any) -> None:
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base_url=fake.rest_url)
    with pytest.raises(TelephonyError) as unknown:
        provider.redirect_call("CA" + "0" * 32, "https://hotline.example.org/twilio/voice/connect/x")
    assert not unknown.value.retryable  # a 404: the call is gone, do not retry
    with pytest.raises(TelephonyError):
        provider.hang_up("CA" + "0" * 32)


def test_twilio_provider_marks_server_errors_retryable_and_maybe_done(fake: Any) -> None:
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base_url=fake.rest_url)
    fake.rest.fail(503, times=1)
    with pytest.raises(TelephonyError) as error:
        provider.send_sms("+8613900000001", "hi")
    assert error.value.retryable and error.value.maybe_done


def test_unreachable_twilio_is_retryable_and_was_not_sent() -> None:
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(TelephonyError) as error:
        provider.send_sms("+8613900000001", "hi")
    assert error.value.retryable and not error.value.maybe_done


def test_the_provider_is_chosen_by_telephony(app: Flask) -> None:
    twilio_app = Flask("t")
    twilio_app.config.update(
        TELEPHONY="twilio", TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN, TWILIO_NUMBER=HOTLINE
    )
    install_provider(twilio_app)
    assert isinstance(twilio_app.extensions["hotline_telephony"], TwilioProvider)
    simulator_app = Flask("s")
    simulator_app.config.update(TELEPHONY="simulator", PUBLIC_BASE_URL="http://127.0.0.1:9")
    install_provider(simulator_app)
    provider = simulator_app.extensions["hotline_telephony"]
    assert isinstance(provider, TwilioProvider) and callable(provider.api_base_url)
    assert simulator_app.config["TWILIO_AUTH_TOKEN"].startswith("simulator-")  # the line signs its webhooks


def test_the_simulated_line_is_the_twilio_provider_against_the_in_process_gateway(app: Flask) -> None:
    from hotline.telephony.simulator.gateway import simulator_gateway, simulator_provider, stop_simulator_gateway

    provider = simulator_provider(app)
    try:
        conformance(provider)
        gateway = simulator_gateway(app)
        assert provider.api_base_url() == gateway.rest_url
        assert gateway.rest.requests_to("POST", r"/Messages\.json")[0].params["Body"] == "您好"
        assert gateway.rest.requests_to("POST", r"/Calls\.json")[0].username == app.config["TWILIO_ACCOUNT_SID"]
        stop_simulator_gateway(app)
        conformance(provider)  # a new gateway on another port: the client follows it
        assert simulator_gateway(app).rest_url == provider._client_base_url
    finally:
        stop_simulator_gateway(app)


def test_a_slow_twilio_api_never_delays_connecting(app: Flask, live_server: Any) -> None:
    from hotline.extensions import db
    from hotline.telephony import connecting, services
    from tests.telephony.line import phone_line

    noon = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
    with phone_line(app, live_server, noon) as line:
        import time_machine

        with time_machine.travel(noon, tick=False):
            call = line.network.dial_in("+8613812345678", HOTLINE, CallerScript(digits=["1"]))
            line.network.run_until(lambda: call.queue_sid is not None)
            line.gateway.rest.delay = 2.0
            started = time.monotonic()
            with app.app_context():
                connecting.connect_to_worker(db.session, services.queued_calls(db.session)[0], "worker_1")
                db.session.remove()
            assert time.monotonic() - started < 1.0
            line.wait_for_commands()
            assert line.gateway.rest.requests_to("POST", rf"/Calls/{call.sid}\.json")


def known_recording(fake: Any) -> str:
    """Put a finished voicemail on the fake network; return the RecordingUrl Twilio would send."""
    sid = "RE" + "8" * 32
    fake.network.recordings.append(Recording(sid, "CA" + "8" * 32, "", 7, "", datetime(2025, 3, 10, tzinfo=UTC)))
    return f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}"


def test_twilio_provider_streams_a_recording_with_the_account_credentials(fake: Any) -> None:
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base_url=fake.rest_url)
    audio = provider.fetch_recording(known_recording(fake))
    body = b"".join(audio.chunks)
    assert audio.content_type == "audio/mpeg" and not audio.simulated
    assert body.startswith(b"ID3") and audio.length == len(body)
    (request,) = fake.rest.requests_to("GET", r"/Recordings/RE8+\.mp3$")
    assert request.username == ACCOUNT and request.status == 200


def test_twilio_provider_reports_a_missing_or_failing_recording(fake: Any) -> None:
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base_url=fake.rest_url)
    with pytest.raises(TelephonyError, match="404"):
        provider.fetch_recording(f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE{'0' * 32}")
    url = known_recording(fake)
    fake.rest.fail(503, times=1)
    with pytest.raises(TelephonyError, match="503"):
        provider.fetch_recording(url)


def test_twilio_provider_sends_credentials_only_to_twilio(fake: Any) -> None:
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base_url=fake.rest_url)
    with pytest.raises(TelephonyError, match="not a Twilio recording URL"):
        provider.fetch_recording(f"{fake.rest_url}/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE{'8' * 32}")
    assert fake.rest.requests == []


def test_unreachable_twilio_fails_a_recording_fetch() -> None:
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(TelephonyError, match="unreachable"):
        provider.fetch_recording(f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE{'8' * 32}")


def test_simulated_providers_give_a_generated_tone(app: Flask) -> None:
    for provider in (RecordingProvider(),):
        audio = provider.fetch_recording("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1")
        body = b"".join(audio.chunks)
        assert audio.simulated and audio.content_type == "audio/wav"
        assert body[:4] == b"RIFF" and body[8:12] == b"WAVE" and audio.length == len(body)
