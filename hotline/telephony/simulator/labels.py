"""The simulator page's words for its JavaScript: what each transcript line, status and sender is called."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _


def page_strings() -> dict[str, Any]:
    """Return the strings simulator.js shows, in the current language (handed over as JSON, as the console's)."""
    return {
        "waitingForKeys": _("waiting for your keys"),
        "inQueue": _("in the queue"),
        "talking": _("talking to a worker"),
        "inConference": _("in the conference"),
        "keys": _("Keys"),
        "press": _("Press"),
        "hangUp": _("Hang up"),
        "line": _("%(what)s: %(text)s"),
        "kinds": {
            "say": _("spoken"),
            "play": _("played"),
            "pause": _("silence"),
            "gather": _("asks for keys"),
            "awaiting-input": _("waiting for keys"),
            "enqueue": _("into the queue"),
            "dequeue": _("left the queue"),
            "dial": _("dialling"),
            "bridged": _("connected"),
            "conference": _("conference"),
            "conference-left": _("left the conference"),
            "conference-mute": _("microphone off in the conference"),
            "barge-in": _("key pressed during the prompt"),
            "record": _("recording"),
            "beep": _("beep"),
            "hangup": _("hung up"),
            "status": _("status change"),
            "error": _("line error"),
            "application-error": _("the app's answer could not be used"),
        },
        "statuses": {
            "queued": _("dialling"),
            "ringing": _("ringing"),
            "in-progress": _("on the line"),
            "completed": _("call ended"),
            "busy": _("line busy"),
            "failed": _("call failed"),
            "no-answer": _("not answered"),
            "canceled": _("call cancelled"),
        },
        "senders": {"caller": _("Caller"), "worker": _("Worker")},
        "outbound": {"sms": _("SMS"), "call": _("Phone call")},
    }
