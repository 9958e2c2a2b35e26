"""Areas, stations, expert volunteers and organisations."""

from flask import Flask

from hotline.directory.cli import directory_cli


def init_app(app: Flask) -> None:
    """Register this package's commands."""
    app.cli.add_command(directory_cli)
