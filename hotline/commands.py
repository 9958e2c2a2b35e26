"""Top-level commands: `serve` (development server with live updates), `keys` and `gateway run`."""

from __future__ import annotations

import os
from pathlib import Path

import click
from cryptography.fernet import Fernet
from flask import Flask, current_app
from flask.cli import AppGroup

from hotline.extensions import db, socketio
from hotline.privacy import rotate_personal_fields

keys_cli = AppGroup("keys", help="Field-encryption keys for personal data.")
gateway_cli = AppGroup("gateway", help="The voice gateway: TwiML on a SIP line (docs/sip-line.md).")


@keys_cli.command("generate")
def generate_key() -> None:
    """Print a new field-encryption key."""
    click.echo(Fernet.generate_key().decode())


@keys_cli.command("rotate")
def rotate_keys() -> None:
    """Re-encrypt every personal field and look-up hash under the first key of FIELD_ENCRYPTION_KEY."""
    counts = rotate_personal_fields(db.session)
    for table, count in counts.items():
        click.echo(f"{table}: {count} rows re-encrypted")


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host: str, port: int) -> None:
    """Serve the app with Socket.IO (and the scheduler in-process when SCHEDULER_IN_WEB)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("PUBLIC_BASE_URL_SET", True):
        # Links in SMS and Twilio's webhooks follow the port actually served, unless PUBLIC_BASE_URL is set.
        from config import local_base_url

        app.config["PUBLIC_BASE_URL"] = local_base_url(host, port)
    if app.config.get("SCHEDULER_IN_WEB"):
        from hotline.scheduler import start_in_process

        start_in_process(app)
    click.echo(f"Hotline on http://{host}:{port}  (telephony: {app.config['TELEPHONY']})")
    # Flask makes app.run() a no-op under its CLI; this command is the one place that serves.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False)


@gateway_cli.command("run")
@click.option("--app-url", default=None, help="where the application listens (default: PUBLIC_BASE_URL)")
def run_gateway(app_url: str | None) -> None:
    """Take calls on the SIP line and play the application's TwiML on them, until stopped."""
    import signal
    import threading

    from hotline.gateway.runner import NUMBER_WEBHOOKS
    from hotline.gateway.sip.runner import SipGateway
    from hotline.gateway.sip.settings import SipSettings

    config = current_app.config
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        if not config.get(name):
            raise click.UsageError(f"{name} must be set: the gateway signs webhooks and checks REST requests with it")
    settings = SipSettings.from_config(config)
    rest_host, rest_port = config["GATEWAY_REST_LISTEN"]
    gateway = SipGateway(
        app_url or config["PUBLIC_BASE_URL"],
        config["PUBLIC_BASE_URL"],
        config["TWILIO_AUTH_TOKEN"],
        config["TWILIO_ACCOUNT_SID"],
        settings,
        Path(config["GATEWAY_CACHE_DIR"]),
        health_address=config["GATEWAY_HEALTH_LISTEN"],
        rest_host=rest_host,
        rest_port=rest_port,
        **NUMBER_WEBHOOKS,
    )
    gateway.start()
    health = gateway.health.url if gateway.health else "-"
    click.echo(
        f"gateway: SIP on {settings.host}:{settings.port}, REST on {gateway.rest_url}, health on {health}", err=True
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()


def init_app(app: Flask) -> None:
    """Register the top-level commands."""
    from hotline.demo import seed_cli

    app.cli.add_command(keys_cli)
    app.cli.add_command(gateway_cli)
    app.cli.add_command(serve)
    app.cli.add_command(seed_cli)
