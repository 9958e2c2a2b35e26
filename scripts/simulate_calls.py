#!/usr/bin/env python
"""Place N simulated calls against a running hotline, with random arrivals and menu choices (demos, load).

The calls go through the same signed webhooks Twilio would post, driven by the
TwiML engine in hotline/gateway/interpreter/. The app must accept the
signatures: run it with the same TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL.

    TWILIO_AUTH_TOKEN=dev-token .venv/bin/flask --app wsgi serve        # in one terminal
    TWILIO_AUTH_TOKEN=dev-token .venv/bin/python scripts/simulate_calls.py --calls 20 --speed 10
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotline.gateway.interpreter import (  # noqa: E402
    CallerScript,
    Network,  # noqa: E402
    RecordingInput,
)

KEYS = ["1", "2", "3", "4", "5", "0", "9", None]


def random_caller(rng: random.Random) -> CallerScript:
    """A caller who picks a menu key (sometimes a wrong one or none), may hang up while waiting, may leave a message."""
    digits = [rng.choice(KEYS) for _ in range(3)] + [rng.choice(["1", "2", None])]
    hang_up = rng.choice([None, None, 1, 2, 4])
    return CallerScript(
        digits=digits, hangup_in_queue_after_rounds=hang_up, recordings=[RecordingInput(rng.uniform(3, 20))]
    )


def main() -> int:
    """Run the calls and print how they ended."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10, help="how many calls (default 10)")
    parser.add_argument("--url", default=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--token", default=os.environ.get("TWILIO_AUTH_TOKEN"), help="the app's TWILIO_AUTH_TOKEN")
    parser.add_argument("--mean-gap", type=float, default=20.0, help="mean seconds between arrivals (exponential)")
    parser.add_argument("--speed", type=float, default=10.0, help="how much faster than real time (default 10)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--to", default=os.environ.get("TWILIO_NUMBER", "+862200000000"))
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set TWILIO_AUTH_TOKEN (the app must use the same one)")
    rng = random.Random(args.seed)
    network = Network(
        args.url,
        args.url,
        args.token,
        "AC" + "5" * 32,
        "/twilio/voice/incoming",
        status_callback_url="/twilio/voice/status",
        fallback_url="/twilio/voice/fallback",
        inbound_status_events=("initiated", "ringing", "answered", "completed"),
    )
    network.start(args.speed)
    calls = []
    try:
        for index in range(args.calls):
            number = f"+86138{rng.randint(0, 99_999_999):08d}"
            calls.append(network.dial_in(number, args.to, random_caller(rng)))
            print(f"call {index + 1}/{args.calls} from {number[:6]}…{number[-4:]}")
            time.sleep(rng.expovariate(1 / args.mean_gap) / args.speed)
        network.wait_until(lambda: not network.live_calls(), timeout=max(60.0, 1200 / args.speed))
        # Let the last status callbacks (and recording callbacks) reach the app before closing.
        network.wait_until(lambda: not network._outbox, timeout=max(10.0, 60 / args.speed))
    finally:
        network.close()
    print("ended:", dict(Counter(call.status for call in calls)), "| errors:", len(network.errors))
    return 1 if network.errors else 0


if __name__ == "__main__":
    sys.exit(main())
