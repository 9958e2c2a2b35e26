"""The duty worker's console: pages, Socket.IO events, push helpers."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
