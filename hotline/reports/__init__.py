"""Figures and exports."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
