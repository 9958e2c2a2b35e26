"""Across a scheduler restart, escalation SMS through a template provider go out once each."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.escalation.models import NotificationAttempt
from tests.escalation.conftest import build_network
from tests.escalation.test_durable import (
    READY_SECONDS,
    beats_after,
    plain_user_factory,
    scheduler,
    start_chains,
    steps_run,
)
from tests.support.waiting import until


def test_a_restarted_scheduler_sends_no_template_sms_twice(
    app: Flask,
    committed: Any,
    sms_config: Any,
    alibaba: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sms_config(committed, "alibaba", alibaba)
    monkeypatch.setenv("SMS_ALIBABA_ENDPOINT", alibaba.endpoint)
    monkeypatch.setenv("SMS_PROTOCOL", "http")
    network = build_network(committed, plain_user_factory(committed))
    chains = start_chains(committed, network, [utcnow()] * 3)
    committed.rollback()
    process = scheduler(app, tmp_path)
    try:
        until(lambda: all(steps_run(app).get(i) == 1 for i in chains), timeout=READY_SECONDS, interval=0.3)
        until(lambda: len(alibaba.accepted) >= 3, timeout=READY_SECONDS, interval=0.3)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    restarted_at = utcnow()
    restarted = scheduler(app, tmp_path)
    try:
        beats_after(app, beats_after(app, restarted_at))
    finally:
        restarted.send_signal(signal.SIGKILL)
        restarted.wait(10)
    committed.rollback()
    attempts = committed.scalars(select(NotificationAttempt).where(NotificationAttempt.channel == "sms")).all()
    assert len(alibaba.accepted) == len(attempts) == 3
    assert sorted(a.provider_id for a in attempts) == sorted(m["BizId"] for m in alibaba.accepted)
    assert all(a.status == "sent" for a in attempts)
