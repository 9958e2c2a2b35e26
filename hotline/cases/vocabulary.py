"""The case package's own code lists and their UI labels (the shared glossary lives in hotline.vocabulary)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CALL_TYPES = {
    "content": _l("A call about something"),
    "silent": _l("Silent call"),
    "hang-up": _l("Hung up at once"),
    "wrong-number": _l("Wrong number"),
    "prank": _l("Prank call"),
    "test": _l("Test call"),
}
"""What kind of call it was; every type but content needs no form."""

OUTCOMES = {
    "resolved": _l("Resolved on the call"),
    "callback-needed": _l("Callback needed"),
    "escalate": _l("Escalate"),
    "referred": _l("Referred"),
    "not-hotline": _l("Not a hotline matter"),
}

GENDERS = {"female": _l("Female"), "male": _l("Male"), "other": _l("Other"), "unknown": _l("Not known")}

AGE_GROUPS = {
    "under_14": _l("Under 14"),
    "14_17": _l("14 to 17"),
    "18_34": _l("18 to 34"),
    "35_59": _l("35 to 59"),
    "60_79": _l("60 to 79"),
    "80_plus": _l("80 and over"),
    "unknown": _l("Not known"),
}

STATUSES = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "referred": _l("Referred"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
}

CONFIRMED_OUTCOMES = {
    "solved": _l("Solved"),
    "partly-solved": _l("Partly solved"),
    "not-solved": _l("Not solved"),
    "unreachable": _l("Caller unreachable"),
    "declined": _l("Caller declined further help"),
    "referred-on": _l("Handed on to the referral target"),
}
"""How a matter ended; one must be confirmed before a case closes."""

PROBLEM_SOLVED = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}

FOLLOW_UP_KINDS = {"callback": _l("Scheduled callback"), "return_call": _l("Return call")}
FOLLOW_UP_STATUSES = {"pending": _l("To do"), "done": _l("Done"), "cancelled": _l("Cancelled")}

FOLLOW_UP_OUTCOMES = {
    "reached": _l("Caller reached"),
    "no-answer": _l("No answer"),
    "wrong-number": _l("Wrong number"),
    "declined": _l("Caller declined"),
}

EVENT_KINDS = {
    "opened": _l("Case opened"),
    "status": _l("Status changed"),
    "assigned": _l("Assigned"),
    "merged": _l("Merged"),
    "merged_in": _l("Duplicate merged in"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "anonymised": _l("Caller details anonymised"),
    "work_order": _l("Work order"),
}


def text(table: dict[str, object], value: str | None) -> str:
    """Return the label of a code from one of the tables above (the code itself when unknown)."""
    if value is None:
        return ""
    label = table.get(value)
    return str(label) if label is not None else value


TABLES = {
    "call_type": CALL_TYPES,
    "outcome": OUTCOMES,
    "gender": GENDERS,
    "age_group": AGE_GROUPS,
    "status": STATUSES,
    "confirmed_outcome": CONFIRMED_OUTCOMES,
    "problem_solved": PROBLEM_SOLVED,
    "follow_up_kind": FOLLOW_UP_KINDS,
    "follow_up_status": FOLLOW_UP_STATUSES,
    "follow_up_outcome": FOLLOW_UP_OUTCOMES,
    "event": EVENT_KINDS,
}


def template_text(table: str, value: str | None) -> str:
    """Return the label of a case code for templates: case_text("status", case.status)."""
    return text(TABLES[table], value)
