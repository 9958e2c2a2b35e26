"""WSGI entry point: `flask --app wsgi …` and gunicorn's `wsgi:app`."""

from hotline import create_app

app = create_app()
