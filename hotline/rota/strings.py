"""The editor's interface strings, translated on the server and handed to its JavaScript."""

from __future__ import annotations

from flask_babel import gettext as _


def editor_strings() -> dict[str, str]:
    """Return the strings rota-editor.js shows, in the current language."""
    return {
        "duty_worker": _("Duty worker"),
        "supervisor": _("Supervisor on call"),
        "expert": _("Expert duty"),
        "add": _("Add"),
        "remove": _("Remove"),
        "move": _("Move"),
        "cancel": _("Cancel"),
        "add_person": _("Add a person to %(shift)s"),
        "person": _("Person"),
        "duty": _("Duty"),
        "no_shift": _("No shift"),
        "planned": _("planned"),
        "suggested": _("suggested %(needed)s (%(rate)s calls/hour)"),
        "no_history": _("no call history yet to suggest a staffing level"),
        "issue_count": _("(%(errors)s errors, %(warnings)s warnings)"),
        "no_issues": _("No rule is broken."),
        "published": _("published"),
        "draft": _("draft"),
        "ended": _("over"),
        "changed": _("changed since publishing"),
        "picked": _("Picked up %(name)s: choose a shift and press Enter to move, Escape to cancel."),
        "saved": _("Saved."),
        "refused": _("Refused: %(reason)s"),
        "working": _("Working day"),
        "weekend": _("Weekend"),
        "holiday": _("Public holiday"),
        "makeup": _("make-up working day"),
        "any_level": _("Any level"),
        "any_skill": _("Any skill"),
        "uncertified": _("No valid certificate"),
        "queued": _("Waiting to start…"),
        "running": _("Working…"),
        "done": _("The draft has been filled. Review it, then publish."),
        "infeasible": _("No rota can satisfy every rule:"),
        "nothing": _("Nothing to draft."),
        "failed": _("The automatic draft failed."),
        "week": _("Week"),
        "weekdays": _("Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
        "minimums": _("Minimums: %(summary)s"),
        "minimums_summary": _(
            "%(workers)s duty workers (%(qualified)s intermediate or senior), %(supervisors)s supervisors"
        ),
        "minimums_of": _("Minimum staffing of %(shift)s"),
        "min_duty_workers": _("Duty workers"),
        "min_qualified": _("Of whom intermediate or senior"),
        "min_supervisors": _("Supervisors on call"),
        "save": _("Save"),
        "keyboard_help": _(
            "Arrows move between shifts; Enter adds a person; on a name, Delete removes it, M moves it."
        ),
    }
