"""The rota's HTTP routes, one blueprint ("rota") in rooms by audience.

api.py: the JSON API (who is on duty, the rota, the editor's calls); manage.py: managers'
pages (editor, publishing, calendar, rules, versions, requests); patterns.py: shift
patterns; workers.py: managers' pages about workers; mine.py: a worker's own rota.
"""

from flask import Blueprint

bp = Blueprint("rota", __name__)
