"""Knowledge forms: an article, synonyms, the review period, an upload, a proposal, the console's use and gap."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from hotline.vocabulary import Service, TargetGroup, choices

WHOLE_DISTRICT = ""


class ArticleForm(FlaskForm):
    """An article's content; choices (areas, owners) are given by the route."""

    question = StringField(_l("Question"), validators=[DataRequired(), Length(max=300)])
    phrasings = TextAreaField(
        _l("Other ways callers ask it"), validators=[Optional(), Length(max=3000)], description=_l("One per line.")
    )
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=20000)])
    services = SelectMultipleField(_l("Services"), validators=[Optional()])
    target_groups = SelectMultipleField(_l("Target groups"), validators=[Optional()])
    area_id = SelectField(_l("Applies to"), validators=[Optional()])
    source_title = StringField(
        _l("Source: policy document"), validators=[DataRequired(), Length(max=300)], description=_l("Its full title.")
    )
    source_number = StringField(_l("Document number"), validators=[Optional(), Length(max=100)])
    source_issuer = StringField(_l("Issued by (authority)"), validators=[Optional(), Length(max=200)])
    source_url = StringField(_l("Link"), validators=[Optional(), URL(), Length(max=500)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    owner = SelectField(_l("Owned by"), validators=[Optional()])
    note = StringField(_l("What changed"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args: Any, areas: list[tuple[str, str]], owners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services.choices = choices(Service)
        self.target_groups.choices = choices(TargetGroup)
        self.area_id.choices = [(WHOLE_DISTRICT, _l("The whole district")), *areas]
        self.owner.choices = [("", "—"), *owners]

    def validate_valid_until(self, field: Any) -> None:
        """Refuse an end before the start."""
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The end comes before the start."))

    def content(self) -> dict[str, Any]:
        """Return the form's values as article content."""
        owner_kind, _sep, owner_id = (self.owner.data or "").partition(":")
        return {
            "question": self.question.data.strip(),
            "phrasings": "\n".join(line.strip() for line in (self.phrasings.data or "").splitlines() if line.strip()),
            "answer": self.answer.data.strip(),
            "services": self.services.data or [],
            "target_groups": self.target_groups.data or [],
            "area_id": int(self.area_id.data) if (self.area_id.data or "").isdigit() else None,
            "source_title": self.source_title.data.strip(),
            "source_number": self.source_number.data or None,
            "source_issuer": self.source_issuer.data or None,
            "source_url": self.source_url.data or None,
            "valid_from": self.valid_from.data,
            "valid_until": self.valid_until.data,
            "owner_station_id": int(owner_id) if owner_kind == "station" else None,
            "owner_organisation_id": int(owner_id) if owner_kind == "organisation" else None,
        }

    @staticmethod
    def initial(content: dict[str, Any]) -> dict[str, Any]:
        """Return form data for an article's (or a version's) content."""
        from datetime import date

        data = dict(content)
        for name in ("valid_from", "valid_until"):
            if isinstance(data.get(name), str):
                data[name] = date.fromisoformat(data[name])
        data["area_id"] = str(data["area_id"]) if data.get("area_id") else WHOLE_DISTRICT
        if data.get("owner_station_id"):
            data["owner"] = f"station:{data['owner_station_id']}"
        elif data.get("owner_organisation_id"):
            data["owner"] = f"organisation:{data['owner_organisation_id']}"
        return data


class SynonymsForm(FlaskForm):
    """Every synonym group, one a line."""

    groups = TextAreaField(
        _l("Synonyms"),
        validators=[Optional(), Length(max=20000)],
        description=_l("One group a line, terms separated by “=”: 低保 = 最低生活保障"),
    )


class ReviewForm(FlaskForm):
    """How long an article may go without being verified."""

    verify_months = IntegerField(
        _l("Verify every (months)"), validators=[DataRequired(), NumberRange(min=1, max=60)], default=12
    )


class UploadForm(FlaskForm):
    """A CSV, Markdown or zip file to import."""

    file = FileField(_l("File"), validators=[FileRequired()])
    publish = BooleanField(_l("Publish at once (otherwise they are drafts to review)"))


class ActionForm(FlaskForm):
    """A button that changes an article (publish, reject, verify, withdraw): the CSRF token and a note."""

    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ProposalForm(ArticleForm):
    """An edit proposed through a signed link: the content, and who proposes it."""

    proposer_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
