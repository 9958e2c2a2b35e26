"""Run a gateway whose calls are real SIP calls: the interpreter, the REST server and the SIP line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from hotline.gateway.interpreter.webhooks import WebhookSender
from hotline.gateway.runner import Gateway
from hotline.gateway.sip.apology import ApologyCopy
from hotline.gateway.sip.health import HealthServer
from hotline.gateway.sip.journal import CallJournal
from hotline.gateway.sip.media import SipMedia
from hotline.gateway.sip.prompts import Prompts
from hotline.gateway.sip.settings import SipSettings
from hotline.gateway.sip.trunk_report import TrunkReporter

log = logging.getLogger(__name__)
STOP_SETTLE_SECONDS = 20.0  # how long a stopping gateway waits for its calls' last webhooks


class SipGateway(Gateway):
    """A `Gateway` on a SIP line: calls run in real time, their media on PJSIP."""

    def __init__(
        self,
        app_base_url: str,
        public_base_url: str,
        auth_token: str,
        account_sid: str,
        settings: SipSettings,
        cache_dir: Path,
        health_address: tuple[str, int] | None = None,
        **options: Any,
    ) -> None:
        self.media = SipMedia(settings, Prompts(cache_dir))
        self.journal = CallJournal(cache_dir / "calls.json")
        self.health = HealthServer(self.media.line, *health_address) if health_address else None
        self.trunk_reporter: TrunkReporter | None = None
        if settings.trunk.registers():  # the supervisor is told when the registration is lost or restored
            where = f"{settings.host}:{settings.port}"
            self.trunk_reporter = TrunkReporter.for_app(app_base_url, public_base_url, auth_token, account_sid, where)
            self.media.line.on_trunk_change = self.trunk_reporter.changed
        super().__init__(app_base_url, public_base_url, auth_token, account_sid, media=self.media, **options)
        self.media.attach(self.network)
        sender = WebhookSender(app_base_url, public_base_url, auth_token, requests.Session(), timeout=10.0)
        self.apology = ApologyCopy(sender, account_sid, self.media.prompts)
        self.media.apology = self.apology

    @property
    def line(self):  # noqa: ANN201 - SipLine
        """The SIP line (counters, settings)."""
        return self.media.line

    def start(self, realtime: float | None = 1.0) -> SipGateway:
        """Serve REST, run the calls in real time, and listen for SIP."""
        super().start(realtime or 1.0)
        self.journal.recover(self.network)  # the calls a crashed run left, reported ended
        self.journal.watch(self.network)
        if self.trunk_reporter is not None:
            self.trunk_reporter.start()
        self.apology.start()
        try:
            self.media.open()
        except Exception:
            super().stop()
            raise
        if self.health is not None:
            self.health.start()
        return self

    def stop(self) -> None:
        """Hang up every SIP call, let the application hear how each ended, then stop the rest.

        The line's BYEs end the calls; the network then finishes them (their action URLs and
        final status callbacks) before it stops, for up to `STOP_SETTLE_SECONDS`.
        """
        try:
            if self.health is not None:
                self.health.stop()
            self.media.close()
            if not self.network.wait_settled(STOP_SETTLE_SECONDS):
                log.warning("stopping with calls or callbacks still pending: %s", self.network.live_calls())
            self.journal.close()
            if self.trunk_reporter is not None:
                self.trunk_reporter.stop()
            self.apology.stop()
        finally:
            super().stop()


@contextmanager
def start_sip_gateway(
    app_base_url: str,
    public_base_url: str,
    auth_token: str,
    account_sid: str,
    settings: SipSettings,
    cache_dir: Path,
    **options: Any,
) -> Iterator[SipGateway]:
    """Start a SIP gateway in this process and stop it afterwards (`Gateway` options pass through)."""
    gateway = SipGateway(app_base_url, public_base_url, auth_token, account_sid, settings, cache_dir, **options)
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()
