"""Forms of the telephony settings page."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, ValidationError

from hotline.clock import hotline_zone, utcnow
from hotline.telephony.line_settings import DAYS, MENU_KEYS, PROMPT_NAMES
from hotline.vocabulary import Service, label

RANGES = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
DAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
PROMPT_LABELS = {
    "greeting": _l("Greeting"),
    "privacy": _l("Privacy notice"),
    "menu": _l("Menu"),
    "invalid": _l("No or wrong key"),
    "crisis": _l("Crisis call queued"),
    "queued": _l("Call queued"),
    "position": _l("Place in the queue ({ahead} callers ahead, {minutes} minutes)"),
    "next_in_line": _l("Next in line ({minutes} minutes)"),
    "max_wait": _l("Maximum wait reached"),
    "options": _l("Voicemail or callback choice"),
    "closed": _l("Closed (outside hours; {hours})"),
    "holiday": _l("Closed for a public holiday ({hours})"),
    "closure": _l("Closed (special closure, when it has no message)"),
    "emergency": _l("Emergency numbers ({numbers})"),
    "voicemail": _l("Voicemail instructions"),
    "voicemail_thanks": _l("Voicemail received"),
    "no_voicemail": _l("No voicemail recorded"),
    "callback_confirmed": _l("Callback confirmed"),
    "sms_offer": _l("Offer of an SMS confirmation (press 1)"),
    "sms_consent_thanks": _l("SMS confirmation agreed"),
    "callback_no_number": _l("Callback impossible (number withheld)"),
    "connecting": _l("Connecting to a worker"),
    "worker_missed": _l("Worker did not answer"),
    "apology": _l("Apology when something fails"),
    "goodbye": _l("Goodbye"),
    "on_hold": _l("Caller on hold (when no hold music is set)"),
    "survey_question": _l("Post-call question (press 1-5)"),
    "survey_again": _l("Post-call question: a key outside 1-5"),
    "survey_thanks": _l("Post-call question: thanks"),
}

# What a menu key may lead to: the glossary's services (all routable, see
# hotline.routing.router.SERVICE_SKILLS) and the expert volunteers; crisis is key 0 only.
EXPERT = "expert"
MENU_SERVICES = (*(service.value for service in Service if service is not Service.CRISIS), EXPERT)
UNUSED = "none"


def menu_choices() -> list[tuple[str, str]]:
    """Return the (value, label) options of a menu key, "not used" first."""
    labels = {EXPERT: str(_l("Expert volunteer (lawyer, psychologist, doctor…)"))}
    return [(UNUSED, str(_l("— not used —")))] + [
        (value, labels.get(value) or label(value, Service)) for value in MENU_SERVICES
    ]


def parse_ranges(text: str) -> list[list[str]]:
    """Parse "09:00-12:00, 13:00-17:00" into [["09:00","12:00"], ["13:00","17:00"]]; raise ValueError."""
    periods: list[list[str]] = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        match = RANGES.match(part)
        if not match:
            raise ValueError(part)
        start, end = (value.zfill(5) for value in match.groups())
        if not ("00:00" <= start < end <= "24:00") or int(start[3:]) > 59 or int(end[3:]) > 59:
            raise ValueError(part)
        periods.append([start, end])
    return periods


def validate_ranges(form: Any, field: Any) -> None:
    """Refuse opening hours that are not HH:MM-HH:MM ranges."""
    try:
        parse_ranges(field.data or "")
    except ValueError as exc:
        raise ValidationError(_l("Use HH:MM-HH:MM, several separated by commas")) from exc


def validate_numbers(form: Any, field: Any) -> None:
    """Refuse emergency lines that are not "label number"."""
    for line in filter(None, (line.strip() for line in (field.data or "").splitlines())):
        if not re.match(r"^.+\s+[0-9+\-]{3,20}$", line):
            raise ValidationError(_l("One per line: a label, a space, then the number"))


class TelephonySettingsForm(FlaskForm):
    """Voice, prompts, hours, emergency numbers and queue limits."""

    language = StringField(_l("Language"), validators=[InputRequired(), Length(max=20)])
    voice = StringField(_l("Voice"), validators=[InputRequired(), Length(max=60)])
    open_on_holidays = BooleanField(_l("Open on public holidays"))
    emergency_numbers = TextAreaField(_l("Emergency numbers"), validators=[validate_numbers])
    max_wait_seconds = IntegerField(_l("Maximum wait (seconds)"), validators=[InputRequired(), NumberRange(30, 3600)])
    announce_every_seconds = IntegerField(
        _l("Announce the place every (seconds)"), validators=[InputRequired(), NumberRange(10, 600)]
    )
    average_handle_seconds = IntegerField(
        _l("Average call length (seconds, for the expected wait)"), validators=[InputRequired(), NumberRange(30, 7200)]
    )
    hold_audio_url = StringField(_l("Hold audio URL"), validators=[Optional(), URL(), Length(max=500)])

    def menu_fields(self) -> list[tuple[str, Any]]:
        """Return (key, select) for the menu keys 1-9."""
        return [(key, self[f"menu_{key}"]) for key in MENU_KEYS]

    def menu_mapping(self) -> dict[str, str]:
        """Return the keys that lead somewhere, as stored in LineSettings.menu."""
        return {key: select.data for key, select in self.menu_fields() if select.data and select.data != UNUSED}

    def validate(self, extra_validators: Any = None) -> bool:
        """Also check the menu: at least one key used, each service on one key only."""
        valid = super().validate(extra_validators)
        mapping = self.menu_mapping()
        if not mapping:
            self.menu_fields()[0][1].errors.append(_l("At least one key must lead to a service"))
            return False
        first_key: dict[str, str] = {}
        for key, service in mapping.items():
            if service in first_key:
                message = _l("Already on key %(key)s: each service on one key only", key=first_key[service])
                self[f"menu_{key}"].errors.append(message)
                valid = False
            first_key.setdefault(service, key)
        return valid


for _day in DAYS:
    setattr(TelephonySettingsForm, f"hours_{_day}", StringField(DAY_LABELS[_day], validators=[validate_ranges]))
for _name in PROMPT_NAMES:
    setattr(
        TelephonySettingsForm,
        f"prompt_{_name}",
        TextAreaField(PROMPT_LABELS[_name], validators=[InputRequired(), Length(max=1000)]),
    )
    setattr(
        TelephonySettingsForm,
        f"audio_{_name}",
        StringField(_l("Recorded audio URL (optional)"), validators=[Optional(), URL(), Length(max=500)]),
    )
    setattr(TelephonySettingsForm, f"upload_{_name}", FileField(_l("Upload a recording (WAV or MP3)")))
for _key in MENU_KEYS:
    setattr(
        TelephonySettingsForm,
        f"menu_{_key}",
        SelectField(_l("Key %(key)s", key=_key), choices=menu_choices, default=UNUSED),
    )


class ClosureForm(FlaskForm):
    """A manual closure (a typhoon day) with its own message."""

    starts_at = DateTimeLocalField(_l("From"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Until"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    message = TextAreaField(_l("Message callers hear"), validators=[Optional(), Length(max=500)])

    def validate_ends_at(self, field: Any) -> None:
        """Refuse a closure that ends before it starts."""
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start"))
        if field.data and field.data.replace(tzinfo=hotline_zone()) <= utcnow():
            raise ValidationError(
                _l("This closure is already over: its end is in the past. Give an end in the future.")
            )
