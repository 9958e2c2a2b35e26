"""A copy of the station's apology, kept in advance for when the application cannot answer.

Every `refresh_seconds` the gateway asks the application for its apology (`POST
/twilio/voice/apology`, signed as Twilio signs): the station's recording at its signed URL,
else the apology's text. When that changes (a new recording's version is in its URL's path;
the expiring signature in the query is not), the audio is fetched or spoken, converted to the
line's WAV and stored as `apology.wav` in the cache folder, so it survives restarts. While the
application is down the last copy stays.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

from hotline.gateway.interpreter.webhooks import WebhookSender
from hotline.gateway.sip.prompts import Prompts

log = logging.getLogger(__name__)
APOLOGY_PATH = "/twilio/voice/apology"


class ApologyCopy:
    """Keep `cache_dir/apology.wav` the same as the application's apology."""

    def __init__(
        self, sender: WebhookSender, account_sid: str, prompts: Prompts, refresh_seconds: float = 300.0
    ) -> None:
        self.sender = sender
        self.account_sid = account_sid
        self.prompts = prompts
        self.refresh_seconds = refresh_seconds
        self.path = prompts.cache_dir / "apology.wav"
        self._source_file = prompts.cache_dir / "apology.json"
        self.refreshed = threading.Event()  # set after each attempt, for whoever waits on one
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gateway-apology", daemon=True)

    def current(self) -> Path | None:
        """The copy, when there is one."""
        return self.path if self.path.exists() else None

    def start(self) -> ApologyCopy:
        """Refresh the copy now and then every `refresh_seconds`, in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop refreshing."""
        self._stopped.set()
        self._thread.join(10)

    def refresh(self) -> bool:
        """Ask the application for its apology and copy it when it changed; False when it did not answer."""
        answer = self.sender.fetch_twiml(
            self.sender.public_base_url + APOLOGY_PATH, "POST", {"AccountSid": self.account_sid}
        )
        if answer.root is None:
            log.warning("cannot read the apology from the application: %s", answer.exchange.error)
            return False
        play, say = answer.root.find("Play"), answer.root.find("Say")
        if play is not None and (play.text or "").strip():
            url = (play.text or "").strip()
            parts = urlsplit(url)
            source = f"play:{parts.netloc}{parts.path}"
            make = lambda: self.prompts.fetch(url)  # noqa: E731 - one line, run only when changed
        elif say is not None and (say.text or "").strip():
            text, language = (say.text or "").strip(), say.get("language")
            source = f"say:{language}:{text}"
            make = lambda: self.prompts.say(text, language)  # noqa: E731
        else:
            return True
        if source == self._source() and self.path.exists():
            return True
        made = make()
        if made == self.prompts.fault_tone:
            return False  # not fetched or not spoken: keep the copy there is
        partial = self.path.with_suffix(".part")
        shutil.copyfile(made, partial)
        partial.replace(self.path)
        self._source_file.write_text(json.dumps({"source": source}))
        log.info("the station's apology is copied (%s)", source[:80])
        return True

    def _source(self) -> str | None:
        try:
            return json.loads(self._source_file.read_text())["source"]
        except (OSError, ValueError, KeyError):
            return None

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.refresh()
            except Exception:
                log.exception("the apology's copy failed")
            self.refreshed.set()
            self._stopped.wait(self.refresh_seconds)
