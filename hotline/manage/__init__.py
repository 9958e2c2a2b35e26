"""Manager pages and settings that call the other packages' services."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this package's routes, events and commands."""
