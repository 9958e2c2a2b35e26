"""Run a gateway on its own: `python -m hotline.gateway --app-url http://127.0.0.1:5000`.

The account comes from TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, the public base URL the
app signs from PUBLIC_BASE_URL (default: the app URL). Point the app's TWILIO_API_BASE_URL
at the REST URL printed on start.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading

from hotline.gateway.runner import NUMBER_WEBHOOKS, Gateway


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, start the gateway, and run until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m hotline.gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--app-url", required=True, help="where the application listens (webhooks go there)")
    parser.add_argument("--host", default="127.0.0.1", help="the REST server's address")
    parser.add_argument("--port", type=int, default=8765, help="the REST server's port")
    parser.add_argument("--speed", type=float, default=1.0, help="how fast calls run (1: real time)")
    args = parser.parse_args(argv)
    account = os.environ.get("TWILIO_ACCOUNT_SID", "")
    token = os.environ.get("TWILIO_AUTH_TOKEN", "")
    if not account or not token:
        parser.error("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set")
    public = os.environ.get("PUBLIC_BASE_URL") or args.app_url
    gateway = Gateway(args.app_url, public, token, account, rest_host=args.host, rest_port=args.port, **NUMBER_WEBHOOKS)
    gateway.start(args.speed)
    print(f"gateway REST on {gateway.rest_url}, webhooks to {args.app_url}", flush=True)  # noqa: T201
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()


if __name__ == "__main__":
    main()
