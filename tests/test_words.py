"""Words: every page, for every role, in Chinese and in English, shows words and no codes.

One app is seeded once for the module with a full demo flow: the demo district,
a call through the simulated line that a worker answers, its intake and
escalation (accepted by the station's SMS reply), a supervisor's consent
override, a voicemail left while the line is closed, a caller who hangs up in
the queue (callbacks), and the demo's work orders. Then every GET page of the
URL map (ids filled from that data) is rendered for each demo role in zh and en,
and its visible text (no tags, scripts, styles, attributes, form values, nor
elements marked with the other language's `lang`) must hold:

- no raw code of the glossary (`in-progress`, `home_visit`, `recording.listen`,
  `rota_version:1`, `override_reason=None`, …) in either language;
- on a Chinese page, no English word but those in ALLOWED_LATIN, and no ASCII punctuation (`,;:?!()`) next
  to Chinese (`风险: 高`, `已逾期 (1)`) but what the stored data holds;
- on an English page, no Chinese but what the data holds (names, places, notes).

docs/i18n.md says how to add an allowed word (rarely the right fix).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
import time_machine
from flask import Flask
from sqlalchemy import String, Text, select

from hotline.access import access_of
from hotline.accounts.models import User
from hotline.demo import DEMO_PASSWORD, seed_demo
from hotline.extensions import db
from hotline.i18n import LANGUAGE_COOKIE
from hotline.vocabulary import Role
from tests.conftest import LiveServer, log_in, truncate_all
from tests.support.simulator import simulated_line, simulator_page
from tests.support.waiting import until

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
CALLER = "+8613812345678"
VOICEMAIL_CALLER = "+8613912340001"
QUITTER = "+8613712340002"
ROLES = (Role.STATION, Role.WORKER, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)

ALLOWED_LATIN = frozenset(
    {
        # Names of products, standards and formats the UI refers to by name.
        "SIP", "CSV", "XLSX", "PDF", "SMS", "API", "URL", "TwiML", "Twilio", "WebRTC", "HSDS", "Open", "Referral",
        "iCal", "TOTP", "Erlang", "C", "ID", "IP", "HTTP", "HTTPS", "JSON", "PIPL", "Prometheus",
        "Alibaba", "Tencent", "WeCom", "DingTalk", "Feishu", "Polly", "Zhiyu", "Chrome", "Firefox", "Safari",
        "REST", "FreeOTP", "Google", "Microsoft", "Authenticator", "Markdown", "zip", "WAV", "MP3", "Webhook",
        # Field names in the SMS providers' and robots' own consoles, which the manager copies from.
        "AccessKey", "Secret", "SecretId", "SecretKey", "SmsSdkAppId", "SmsReport", "SmsUp", "CODE", "SEC",
        # Codes a manager types, shown as examples (a country, languages).
        "CN", "zh", "en",
        # Units and the language switch.
        "s", "ms", "px", "km", "KB", "MB", "h", "min",
    }
)  # fmt: skip
"""Latin words a Chinese page may show (each a name, not an untranslated word)."""

ALLOWED_CODES = frozenset({"open_id"})
"""Code-shaped names a provider's console uses, which the manager copies from (Feishu's user id field)."""

SKIP_PREFIXES = ("/api/", "/twilio/", "/static/", "/socket.io", "/healthz", "/readyz", "/metrics", "/lang/")
SKIP_PREFIXES += ("/favicon.ico", "/login", "/logout", "/sms/callbacks/")
FILE_SUFFIXES = (".csv", ".xlsx", ".zip", ".ics", ".json", ".pdf")
CODE_SHAPE = re.compile(r"\b[a-z][a-z0-9]+(?:[_.][a-z0-9]{2,})+\b|\b\w+=\S*|\b[a-z_]+:\d+\b")
"""snake_case and dotted identifiers, key=value and key:number: codes, not words."""
PATH = re.compile(r"\S*/\S*")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
CJK_PHRASE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff（][\u3400-\u9fff\uf900-\ufaff（）0-9]*")
"""A run of Chinese (names keep their full-width brackets and digits); punctuation such as 、，。 ends it."""
ASCII_MARK = re.compile(r"[\u3400-\u9fff]\s*[,;:?!()]|[,;:?!()]\s*[\u3400-\u9fff]")
"""An ASCII comma, colon, bracket, … next to Chinese (spaces between allowed): Chinese takes full-width marks."""
MARK_CONTEXT = 4
"""Characters either side of an ASCII mark looked up in the stored data (a caller's note may hold "独居,最近")."""
DATA_LIKE = re.compile(
    r"\S*\d\S*|\S+@\S+|\S*/\S*|\$?\{\w*\}|\b[A-Z]\w*\.[\w.-]+|\b[a-z]{2,3}-[A-Z]{2}\b|\S+\.\w{2,4}\b"
)
"""Tokens that are data: numbers, references, user names with digits, e-mail, paths and links, the {placeholders}
of a prompt or template, vendor voice names (Polly.Zhiyu), language tags (cmn-CN), file names."""


@dataclass
class World:
    """What the flow created, and the demo accounts of each role."""

    accounts: dict[Role, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    data: str = ""
    """Every text stored in the database, joined: Chinese on an English page must come from here."""
    usernames: frozenset[str] = frozenset()
    """Log-in names (admin, manager) are data a page shows, not English words."""


def staff_session(base: str, username: str) -> requests.Session:
    """Log in like a browser and carry the CSRF token for later posts."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    session.post(
        f"{base}/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}, timeout=10
    )
    session.headers["X-CSRFToken"] = token
    return session


def dial(base: str, number: str) -> tuple[requests.Session, str]:
    """Dial the hotline from the simulator; return the caller's session and the call's sid."""
    caller = simulator_page(base)
    sid = caller.post(f"{base}/simulator/calls", data={"from": number}, timeout=10).json()["call_sid"]
    until(lambda: caller.get(f"{base}/simulator/calls/{sid}", timeout=10).json().get("waiting_for_keys"))
    return caller, sid


def state(caller: requests.Session, base: str, sid: str) -> dict[str, Any]:
    return caller.get(f"{base}/simulator/calls/{sid}", timeout=10).json()


def answered_call_with_intake_and_escalation(app: Flask, base: str, world: World, worker: str) -> None:
    """A caller asks for information; the worker answers, takes the intake and escalates to a station."""
    from hotline.directory.models import Area
    from hotline.telephony.services import find_call

    caller, sid = dial(base, CALLER)
    caller.post(f"{base}/simulator/calls/{sid}/press", data={"digits": "1"}, timeout=10)
    until(lambda: state(caller, base, sid)["in_queue"])
    staff = staff_session(base, worker)
    assert staff.post(f"{base}/simulator/worker/accept/{sid}", timeout=10).status_code == 200
    until(lambda: state(caller, base, sid)["bridged"])
    caller.post(f"{base}/simulator/calls/{sid}/say", data={"text": "我母亲独居,最近摔了一跤"}, timeout=10)
    staff.post(f"{base}/simulator/worker/calls/{sid}/say", data={"text": "您好,请慢慢说"}, timeout=10)
    with app.app_context():
        call_id = find_call(db.session, sid).id
        community = db.session.scalar(select(Area.id).where(Area.level == "community").order_by(Area.code))
        db.session.remove()
    saved = staff.post(
        f"{base}/console/calls/{call_id}/intake",
        data={
            "call_type": "content",
            "caller_name": "张阿姨",
            "caller_phone": CALLER,
            "consent_callback": "y",
            "consent_share": "y",
            "gender": "female",
            "age_group": "60_79",
            "area_id": str(community),
            "target_groups": ["elderly_alone"],
            "services": ["info", "resources"],
            "risk": "low",
            "summary": "独居老人摔倒后行动不便,需要上门探访。",
            "actions_taken": "安抚情绪,说明上门探访的安排。",
            "outcome": "escalate",
        },
        timeout=10,
    )
    assert saved.status_code == 200 and "flash success" in saved.text, saved.text[:2000]
    with app.app_context():
        case_id = find_call(db.session, sid).case_id
        db.session.remove()
    escalate_url = f"{base}/escalation/new?case_id={case_id}"
    form = staff.get(escalate_url, timeout=10)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text).group(1)
    sent = staff.post(
        escalate_url,
        data={"reason": "home_visit", "urgency": "normal", "note": "请上门探访", "csrf_token": token},
        timeout=10,
    )
    assert "/escalation/" in sent.url, sent.text[:2000]
    world.ids["call_id"] = call_id
    world.ids["escalation_id"] = int(sent.url.rstrip("/").split("/")[-1])

    # The station's duty phone gets the SMS and accepts with its reply code.
    def station_sms() -> dict[str, Any] | None:
        outbound = requests.get(f"{base}/simulator/messages", timeout=10).json()["outbound"]
        return next((item for item in outbound if item["kind"] == "sms"), None)

    sms = until(station_sms, timeout=20)
    code = re.search(r"1\s*([A-Za-z0-9]{4,})", sms["body"]).group(1)
    caller_sms = simulator_page(base)
    caller_sms.post(f"{base}/simulator/sms", data={"from": sms["to"], "body": f"1 {code}"}, timeout=10)
    staff.post(f"{base}/simulator/worker/calls/{sid}/hangup", timeout=10)
    until(lambda: not state(caller, base, sid)["live"])


def voicemail_while_closed(app: Flask, base: str) -> None:
    """The line is closed for a while: a caller leaves a message."""
    from hotline.telephony.line_settings import add_closure, load_line_settings, save_line_settings

    with app.app_context():
        before = load_line_settings(db.session)
        add_closure(db.session, NOW - timedelta(hours=1), NOW + timedelta(days=1), "线路检修（示例）", None)
        db.session.remove()
    try:
        caller, sid = dial(base, VOICEMAIL_CALLER)
        caller.post(f"{base}/simulator/calls/{sid}/press", data={"digits": "1"}, timeout=10)
        until(lambda: any(line["kind"] == "record" for line in state(caller, base, sid)["transcript"]))
        caller.post(f"{base}/simulator/calls/{sid}/say", data={"text": "请给我回电话"}, timeout=10)
        caller.post(f"{base}/simulator/calls/{sid}/press", data={"digits": "#"}, timeout=10)
        until(lambda: not state(caller, base, sid)["live"], timeout=20)
    finally:
        with app.app_context():
            save_line_settings(db.session, before, None)
            db.session.remove()


def hang_up_in_the_queue(base: str) -> None:
    """A caller waits for a worker, nobody answers, the caller gives up: a missed call to return."""
    caller, sid = dial(base, QUITTER)
    caller.post(f"{base}/simulator/calls/{sid}/press", data={"digits": "2"}, timeout=10)
    until(lambda: state(caller, base, sid)["in_queue"])
    caller.post(f"{base}/simulator/calls/{sid}/hangup", timeout=10)
    until(lambda: not state(caller, base, sid)["live"])


def supervisor_overrides_consent(app: Flask, world: World, supervisor_id: int) -> None:
    """A supervisor escalates a case whose caller did not consent to sharing (audited override)."""
    from hotline.cases.models import Case
    from hotline.clock import utcnow
    from hotline.escalation import triggers
    from hotline.telephony.providers import get_provider

    with app.app_context():
        case = Case(
            reference="DEMO-WORDS-2",
            caller_phone="+8613612340003",
            consent_share=False,
            summary="来电者情绪低落,不愿留下联系方式。",
            services=["emotional"],
            target_groups=["other"],
            risk="high",
        )
        db.session.add(case)
        db.session.commit()
        triggers.escalate_case(
            db.session,
            case.id,
            reason="risk",
            skill=None,
            urgency="urgent",
            note="请尽快联系",
            actor_id=supervisor_id,
            now=utcnow(),
            provider=get_provider(),
            consent_override_reason="来电者有自伤风险",
        )
        db.session.remove()


def collect_ids(app: Flask, world: World) -> None:
    """Fill the ids every URL argument needs from the seeded data."""
    from hotline.callbacks.models import CallbackTask
    from hotline.cases.models import Case, FollowUp
    from hotline.directory.models import Area, ExpertVolunteer, Organisation, Station, Volunteer
    from hotline.escalation.models import Escalation, EscalationPolicy, Referral
    from hotline.escalation.notifications import link_token
    from hotline.knowledge.models import Article
    from hotline.knowledge.proposals import link_token as proposal_token
    from hotline.telephony.models import Call
    from hotline.workorders.models import WorkOrder

    with app.app_context(), app.test_request_context():
        session = db.session
        first = lambda model, *where: session.scalar(select(model.id).where(*where).order_by(model.id))  # noqa: E731
        case = session.get(Case, session.scalar(select(Call.case_id).where(Call.id == world.ids["call_id"])))
        world.ids["case_id"] = case.id
        world.ids["user_id"] = world.accounts[Role.WORKER]
        world.ids["task_id"] = first(CallbackTask)
        world.ids["follow_up_id"] = first(FollowUp) or 0
        world.ids["policy_id"] = first(EscalationPolicy)
        world.ids["referral_id"] = first(Referral, Referral.escalation_id == world.ids["escalation_id"])
        world.ids["order_id"] = first(WorkOrder)
        world.ids["article_id"] = first(Article)
        world.ids["number"] = 1
        world.ids["area"] = first(Area, Area.level == "community")
        world.ids["station"] = first(Station)
        world.ids["expert"] = first(ExpertVolunteer)
        world.ids["organisation"] = first(Organisation)
        world.ids["volunteer"] = first(Volunteer)
        world.tokens["referral"] = link_token(world.ids["referral_id"])
        article = session.scalar(select(Article).where(Article.owner_station_id.is_not(None)).order_by(Article.id))
        world.tokens["article"] = proposal_token(article) if article else ""
        assert session.scalar(select(Escalation.id).where(Escalation.id == world.ids["escalation_id"]))
        world.data = stored_text(session)
        world.usernames = frozenset(session.scalars(select(User.username)))
        session.remove()


def stored_text(session: Any) -> str:
    """Return every text the database holds (decrypted), one a line: names, places, notes, settings."""
    from sqlalchemy import JSON

    from hotline.privacy import EncryptedJSON, EncryptedString

    values: list[str] = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | EncryptedString):
                values.extend(str(v) for v in session.scalars(select(column).where(column.is_not(None))) if v)
            elif isinstance(column.type, JSON | EncryptedJSON):
                values.extend(repr(v) for v in session.scalars(select(column).where(column.is_not(None))) if v)
    return "\n".join(values)


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    """Seed the demo and run the flow through a live server and the simulated line, once."""
    from hotline.rota.services import on_duty_worker_ids

    server = LiveServer(app).start()
    world = World()
    try:
        with time_machine.travel(NOW, tick=True):
            with simulated_line(app, server.url, speed=20.0):
                with app.app_context():
                    seed_demo(db.session, NOW)
                    on_duty = sorted(on_duty_worker_ids(db.session, NOW))
                    by_role = {
                        role: db.session.scalar(
                            select(User).where(User.role == role.value, User.active.is_(True)).order_by(User.username)
                        )
                        for role in ROLES
                    }
                    by_role[Role.WORKER] = db.session.get(User, on_duty[0])
                    world.accounts = {role: user.id for role, user in by_role.items()}
                    worker = by_role[Role.WORKER].username
                    db.session.remove()
                answered_call_with_intake_and_escalation(app, server.url, world, worker)
                voicemail_while_closed(app, server.url)
                hang_up_in_the_queue(server.url)
                supervisor_overrides_consent(app, world, world.accounts[Role.SUPERVISOR])
            collect_ids(app, world)
        yield world
    finally:
        server.stop()
        truncate_all(app)


def url_for_rule(app: Flask, rule: Any, world: World) -> str | None:
    """Build a rule's URL with ids from the world; None when the rule needs something we do not have."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        if name == "entry_id":
            kind = rule.endpoint.split(".")[1].split("_")[0]  # directory.areas_edit -> areas
            values[name] = world.ids[{"areas": "area", "stations": "station", "experts": "expert"}.get(kind, kind[:-1])]
        elif name == "token":
            token = world.tokens["article" if rule.rule.startswith("/r/knowledge") else "referral"]
            if not token or rule.endpoint == "rota.ical":
                return None
            values[name] = token
        elif name == "view":
            values[name] = "day"
        elif name in ("provider", "kind"):
            values.update(provider="alibaba", kind="callback_confirmation")
        elif name in world.ids:
            values[name] = world.ids[name]
        else:
            return None
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def page_urls(app: Flask, world: World, role: Role) -> list[str]:
    """Return every page the role may open, ids filled in (and one it may not, for the refusal page)."""
    urls: set[str] = set()
    refused = None
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.rule.startswith(SKIP_PREFIXES):
            continue
        if rule.rule.endswith(FILE_SUFFIXES) or "/files/" in rule.rule or rule.rule.endswith("/recording"):
            continue
        kind, required = access_of(app.view_functions[rule.endpoint])
        url = url_for_rule(app, rule, world)
        if url is None:
            continue
        if kind == "role" and not role.includes(required):
            refused = refused or url
            continue
        urls.add(url)
    if "/escalation/new" in urls:
        urls.discard("/escalation/new")
        urls.add(f"/escalation/new?case_id={world.ids['case_id']}")
    return sorted(urls | ({refused} if refused else set()))


class VisibleText(HTMLParser):
    """Collect the text a reader sees, leaving out scripts, styles, form values and the other language."""

    HIDDEN = frozenset({"script", "style", "textarea", "noscript", "title", "code", "kbd", "samp"})
    """Not read as UI text: code, form values, and machine text (commands, file names: <code>, <kbd>, <samp>)."""
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self, locale: str) -> None:
        super().__init__(convert_charrefs=True)
        self.locale = locale
        self.stack: list[bool] = []  # whether each open element hides its text
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        lang = (dict(attrs).get("lang") or "").lower()
        other = bool(lang) and not lang.startswith(self.locale)
        self.stack.append(tag in self.HIDDEN or other or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]) and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str, locale: str) -> list[str]:
    """Return the visible text nodes of a page."""
    parser = VisibleText(locale)
    parser.feed(html)
    return parser.parts


def problems_on(parts: list[str], locale: str, world: World) -> list[str]:
    """Return what is wrong with the visible text of one page."""
    found: list[str] = []
    for part in parts:
        for code in CODE_SHAPE.findall(PATH.sub(" ", part)):
            if code not in ALLOWED_CODES:
                found.append(f"code {code!r} in {part!r}")
        if locale == "zh":
            words = LATIN_WORD.findall(DATA_LIKE.sub(" ", part))
            found.extend(
                f"English {word!r} in {part!r}"
                for word in words
                if word not in ALLOWED_LATIN and word not in world.usernames
            )
            for mark in ASCII_MARK.finditer(part):
                around = part[max(0, mark.start() - MARK_CONTEXT) : mark.end() + MARK_CONTEXT]
                if around not in world.data:
                    found.append(f"ASCII mark {mark.group()!r} in {part!r}")
        else:
            for phrase in CJK_PHRASE.findall(part):
                if phrase.strip("（）") not in world.data:
                    found.append(f"Chinese {phrase!r} in {part!r}")
    return found


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("role", ROLES, ids=[role.value for role in ROLES])
def test_every_page_shows_words_in_its_language(app: Flask, world: World, role: Role, locale: str) -> None:
    client = app.test_client()
    client.set_cookie(LANGUAGE_COOKIE, locale)
    problems: dict[str, list[str]] = {}
    shown = 0
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        with app.app_context():
            log_in(client, db.session.get(User, world.accounts[role]))
            db.session.remove()
        for url in page_urls(app, world, role):
            response = client.get(url, headers={"Accept-Language": locale})
            if "text/html" not in response.content_type or response.status_code >= 500:
                assert response.status_code < 500, (url, response.status_code)
                continue
            shown += 1
            found = problems_on(visible_text(response.get_data(as_text=True), locale), locale, world)
            if found:
                problems[url] = sorted(set(found))
    assert shown >= 3
    where: dict[str, list[str]] = {}
    for url, items in problems.items():
        for item in items:
            where.setdefault(item, []).append(url)
    assert where == {}, "\n".join(f"{item}  on {' '.join(urls[:4])}" for item, urls in sorted(where.items()))
