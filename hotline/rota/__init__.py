"""Shift patterns, shifts, calendar days and who is on duty."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
