"""The simulator page names what the caller hears in words of the page's language, never the gateway's codes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hotline.i18n import LANGUAGE_COOKIE
from hotline.telephony.simulator.services import SHOWN_KINDS

SCRIPT = Path(__file__).resolve().parents[2] / "hotline" / "static" / "js" / "simulator.js"
CJK = re.compile(r"[\u3400-\u9fff]")


def page_strings(client: Any, locale: str) -> dict[str, Any]:
    client.set_cookie(LANGUAGE_COOKIE, locale)
    page = client.get("/simulator", headers={"Accept-Language": locale}).get_data(as_text=True)
    found = re.search(r'<script id="simulator-text" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_every_transcript_line_status_and_sender_has_a_chinese_word(client: Any) -> None:
    strings = page_strings(client, "zh")
    assert set(SHOWN_KINDS) <= set(strings["kinds"])
    named = [*strings["kinds"].values(), *strings["statuses"].values(), *strings["senders"].values()]
    assert all(CJK.search(word) for word in named), named
    assert {"caller", "worker"} <= set(strings["senders"]) and "in-progress" in strings["statuses"]
    assert strings["line"] == "%(what)s：%(text)s"
    english = page_strings(client, "en")
    assert english["kinds"]["gather"] == "asks for keys" and english["line"] == "%(what)s: %(text)s"


def test_the_script_shows_words_not_codes() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    for code in (
        "${line.kind}",
        "${entry.kind}",
        "${entry.text}",
        "${state.status}",
        "${phone.status}",
        "${line.sender}",
    ):
        assert code not in script, code
    assert 'word("kinds"' in script and 'word("statuses"' in script and 'word("senders"' in script
