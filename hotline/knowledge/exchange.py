"""Exchanging knowledge bases between districts: CSV, and Markdown files with a header of fields.

Areas travel by official division code and owners by name, so a file written by
one district reads in another. An import is all or nothing: every article is
checked first, and any error is reported with its line or file. An article
already here (same question, same area) gets the import as a new version.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory.models import Area, Organisation, Station
from hotline.knowledge import services
from hotline.knowledge.exceptions import ImportFailed
from hotline.knowledge.models import Article
from hotline.spreadsheets import restored_row, write_csv
from hotline.vocabulary import Service, TargetGroup

COLUMNS = [
    "question",
    "phrasings",
    "answer",
    "services",
    "target_groups",
    "area_code",
    "source_title",
    "source_number",
    "source_issuer",
    "source_url",
    "valid_from",
    "valid_until",
    "owner",
    "status",
    "verified_on",
]
HEADER_LINE = re.compile(r"^([a-z_]+):\s?(.*)$")
MAX_FILES = 5000


def _record(article: Article) -> dict[str, str]:
    """Return an article as flat text fields (lists joined with commas, phrasings with " | ")."""
    return {
        "question": article.question,
        "phrasings": " | ".join(line for line in (article.phrasings or "").splitlines() if line.strip()),
        "answer": article.answer,
        "services": ",".join(article.services or []),
        "target_groups": ",".join(article.target_groups or []),
        "area_code": article.area.code if article.area else "",
        "source_title": article.source_title or "",
        "source_number": article.source_number or "",
        "source_issuer": article.source_issuer or "",
        "source_url": article.source_url or "",
        "valid_from": article.valid_from.isoformat() if article.valid_from else "",
        "valid_until": article.valid_until.isoformat() if article.valid_until else "",
        "owner": article.owner_name,
        "status": article.status,
        "verified_on": article.verified_at.date().isoformat() if article.verified_at else "",
    }


def _exported(session: Session) -> list[Article]:
    """Return the articles to export: every one not withdrawn, by id."""
    return list(session.scalars(select(Article).where(Article.status != "withdrawn").order_by(Article.id)))


def export_csv(session: Session) -> str:
    """Return the articles as CSV text (cells that look like formulas neutralised: hotline.spreadsheets)."""
    records = (_record(article) for article in _exported(session))
    return write_csv(COLUMNS, ([record[name] for name in COLUMNS] for record in records))


def markdown(article: Article) -> str:
    """Return one article as a Markdown file: a header of fields between --- lines, then the answer."""
    record = _record(article)
    answer = record.pop("answer")
    header = "\n".join(f"{name}: {' '.join(value.split())}" for name, value in record.items())
    return f"---\n{header}\n---\n\n{answer.strip()}\n"


def export_zip(session: Session) -> bytes:
    """Return the articles as a zip of Markdown files, one per article."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for article in _exported(session):
            archive.writestr(f"knowledge/{article.id:05d}.md", markdown(article))
    return buffer.getvalue()


def parse_markdown(text: str) -> list[tuple[int, dict[str, str]]]:
    """Return the articles of a Markdown text as (line, fields); a file may hold several, each with its header."""
    lines = text.replace("\r\n", "\n").split("\n")
    found: list[tuple[int, dict[str, str]]] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "---" and i + 1 < len(lines) and HEADER_LINE.match(lines[i + 1]):
            start = i + 1
            fields: dict[str, str] = {}
            i += 1
            while i < len(lines) and lines[i].strip() != "---":
                match = HEADER_LINE.match(lines[i])
                if match:
                    fields[match.group(1)] = match.group(2).strip()
                i += 1
            body: list[str] = []
            i += 1
            while i < len(lines) and not (
                lines[i].strip() == "---" and i + 1 < len(lines) and HEADER_LINE.match(lines[i + 1])
            ):
                body.append(lines[i])
                i += 1
            fields["answer"] = "\n".join(body).strip()
            found.append((start, fields))
        else:
            i += 1
    return found


def _date(value: str, name: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(_("%(name)s: %(value)s is not a date (YYYY-MM-DD)", name=name, value=value))
        return None


def _codes(value: str, allowed: set[str], name: str, errors: list[str]) -> list[str]:
    codes = [code.strip() for code in re.split(r"[,;，、\s]+", value or "") if code.strip()]
    unknown = [code for code in codes if code not in allowed]
    if unknown:
        errors.append(_("%(name)s: unknown %(codes)s", name=name, codes=", ".join(unknown)))
    return [code for code in codes if code in allowed]


def content_of(session: Session, fields: dict[str, str], errors: list[str]) -> dict[str, Any]:
    """Turn one record's text fields into article content, appending what is wrong to `errors`."""
    get = {name: (fields.get(name) or "").strip() for name in COLUMNS}
    for required in ("question", "answer", "source_title"):
        if not get[required]:
            errors.append(_("%(name)s is required", name=required))
    if len(get["question"]) > 300:
        errors.append(_("question is longer than 300 characters"))
    area_id = None
    if get["area_code"]:
        area_id = session.scalar(select(Area.id).where(Area.code == get["area_code"]))
        if area_id is None:
            errors.append(_("area_code: no area %(code)s", code=get["area_code"]))
    owner: dict[str, int | None] = {"owner_station_id": None, "owner_organisation_id": None}
    if get["owner"]:
        station = session.scalar(select(Station.id).where(Station.name == get["owner"]))
        organisation = session.scalar(select(Organisation.id).where(Organisation.name == get["owner"]))
        if station is None and organisation is None:
            errors.append(_("owner: no station or organisation named %(name)s", name=get["owner"]))
        owner = {"owner_station_id": station, "owner_organisation_id": None if station else organisation}
    valid_from = _date(get["valid_from"], "valid_from", errors)
    valid_until = _date(get["valid_until"], "valid_until", errors)
    if valid_from and valid_until and valid_until < valid_from:
        errors.append(_("valid_until comes before valid_from"))
    return {
        "question": get["question"],
        "phrasings": "\n".join(part.strip() for part in re.split(r"\s\|\s|\n", get["phrasings"]) if part.strip()),
        "answer": (fields.get("answer") or "").strip(),
        "services": _codes(get["services"], {s.value for s in Service}, "services", errors),
        "target_groups": _codes(get["target_groups"], {t.value for t in TargetGroup}, "target_groups", errors),
        "area_id": area_id,
        "source_title": get["source_title"],
        "source_number": get["source_number"] or None,
        "source_issuer": get["source_issuer"] or None,
        "source_url": get["source_url"] or None,
        "valid_from": valid_from,
        "valid_until": valid_until,
        **owner,
    }


def records_of(filename: str, data: bytes) -> list[tuple[str, dict[str, str]]]:
    """Return the records of an uploaded CSV, Markdown or zip file as (where, fields).

    Raises:
        ImportFailed: the file is not UTF-8, not a zip, or of another kind.
    """
    name = (filename or "").lower()
    try:
        if name.endswith(".zip"):
            found: list[tuple[str, dict[str, str]]] = []
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [m for m in archive.namelist() if m.lower().endswith((".md", ".csv"))][:MAX_FILES]
                for member in sorted(members):
                    found += records_of(member, archive.read(member))
            return found
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed([(filename, _("the file is not UTF-8 text"))]) from exc
    except zipfile.BadZipFile as exc:
        raise ImportFailed([(filename, _("the file is not a zip"))]) from exc
    if name.endswith(".csv"):
        rows = csv.DictReader(io.StringIO(text))
        return [(f"{filename}:{line}", restored_row(row)) for line, row in enumerate(rows, start=2)]
    if name.endswith((".md", ".markdown")):
        return [(f"{filename}:{line}", fields) for line, fields in parse_markdown(text)]
    raise ImportFailed([(filename, _("choose a .csv, .md or .zip file"))])


def import_records(
    session: Session, records: list[tuple[str, dict[str, str]]], by_id: int | None, now: datetime, publish: bool
) -> tuple[int, int]:
    """Import checked records: new articles, or new versions of the same question in the same area.

    Returns:
        (created, updated).

    Raises:
        ImportFailed: any record has an error (nothing was imported).
    """
    errors: list[tuple[str, str]] = []
    contents = []
    for where, fields in records:
        problems: list[str] = []
        content = content_of(session, fields, problems)
        errors += [(where, problem) for problem in problems]
        contents.append(content)
    if not records:
        errors.append(("", _("no article found in the file")))
    if errors:
        raise ImportFailed(errors)
    created = updated = 0
    for content in contents:
        existing = session.scalar(
            select(Article).where(Article.question == content["question"], Article.area_id == content["area_id"])
        )
        if existing is None:
            article = services.create_article(session, content, by_id, now, origin="import")
            version = article.versions[-1]
            created += 1
        else:
            article = existing
            version = services.save_draft(session, article, content, by_id, now, origin="import")
            updated += 1
        if publish:
            services.publish(session, article, version, by_id, now)
    return created, updated


DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_articles.md"
DEMO_SYNONYMS = [
    ["低保", "最低生活保障", "低保户"],
    ["残疾人", "残障人士", "残疾"],
    ["老人", "老年人", "长者"],
    ["特困", "特困人员", "五保户"],
    ["临时救助", "急难救助"],
    ["心理援助", "心理咨询", "心理疏导"],
    ["法律援助", "免费律师"],
    ["家暴", "家庭暴力"],
    ["养老院", "养老机构", "敬老院"],
    ["长护险", "长期护理保险"],
]


def import_demo(session: Session, now: datetime) -> int:
    """Publish the demo district's articles and synonyms, unless the base already has articles; return how many."""
    if session.scalar(select(Article.id).limit(1)) is not None:
        return 0
    records = records_of(DEMO_FILE.name, DEMO_FILE.read_bytes())
    created, _updated = import_records(session, records, None, now, publish=True)
    if not services.list_synonyms(session):
        services.save_synonyms(session, DEMO_SYNONYMS, None, now)
    return created
