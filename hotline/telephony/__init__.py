"""Twilio webhooks, TwiML builders and the telephony provider."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
