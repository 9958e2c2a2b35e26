"""Escalation policies, referrals, notifications and acknowledgements."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
