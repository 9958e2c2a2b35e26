"""Presence, offers and the accept that only one worker wins."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
