"""Prompts the station records: uploaded (WAV, MP3) or recorded in the browser, converted, stored, signed.

An upload is read whole, type-checked by its bytes, size-limited and converted by
sox to the line's WAV (8 kHz, mono, 16-bit) before anything is stored; a refused
file leaves nothing behind. The audio goes in `prompt_recordings`, its version and
length in the `telephony.recordings` setting, in one transaction: the webhooks learn
of a recording from the line's settings copy (no query of their own), and play it
with `<Play>` at a public URL that carries an expiring signature.
"""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.gateway.media.audio import RATE, convert_to_line, line_wav_seconds
from hotline.settings import Setting
from hotline.telephony.exceptions import PromptNotFound, PromptRefused
from hotline.telephony.line_settings import PREFIX, PROMPT_NAMES, RECORDINGS, LineSettings
from hotline.telephony.models import PromptRecording

MAX_BYTES = 10 * 1024 * 1024
MAX_SECONDS = 300.0
ALLOWED = "WAV, MP3"
CONVERT_TIMEOUT_SECONDS = 30.0
URL_WINDOW_SECONDS = 600
"""Signed URLs stay the same for this long, so Twilio's and the gateway's caches keep the audio."""
URL_LIFETIME_SECONDS = 3600
"""A signed URL stays valid at least this long after it was handed out."""
PATH_PREFIX = "/media/prompts/"
PATH = PATH_PREFIX + "{name}/{version}.wav"


@dataclass(frozen=True)
class PreparedAudio:
    """An accepted upload, converted and not stored yet."""

    content: bytes
    seconds: float
    source_type: str
    source_name: str

    @property
    def version(self) -> str:
        """A digest of the converted audio."""
        return hashlib.sha256(self.content).hexdigest()[:32]


def sniff(content: bytes) -> str | None:
    """Return the type the file's first bytes show (audio/wav, audio/mpeg), else None; the name is not trusted."""
    if content[:4] == b"RIFF" and content[8:12] == b"WAVE":
        return "audio/wav"
    if content[:3] == b"ID3" or (len(content) > 1 and content[0] == 0xFF and content[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def clean_filename(name: str | None, content_type: str) -> str:
    """Return a short display name without any folder part."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:120]
    return base or ("prompt.mp3" if content_type == "audio/mpeg" else "prompt.wav")


def prepare(filename: str | None, content: bytes) -> PreparedAudio:
    """Check an upload and convert it to the line's WAV; nothing is stored.

    Raises:
        PromptRefused: empty, too-large (over MAX_BYTES), type (not WAV or MP3), unreadable (sox failed),
            too-long (over MAX_SECONDS).
    """
    if not content:
        raise PromptRefused("empty")
    if len(content) > MAX_BYTES:
        raise PromptRefused("too-large")
    source_type = sniff(content)
    if source_type is None:
        raise PromptRefused("type")
    with tempfile.TemporaryDirectory(prefix="hotline-prompt-") as work:
        source = Path(work) / ("upload.mp3" if source_type == "audio/mpeg" else "upload.wav")
        target = Path(work) / "line.wav"
        source.write_bytes(content)
        try:
            convert_to_line(source, target, timeout=CONVERT_TIMEOUT_SECONDS)
        except (subprocess.SubprocessError, OSError) as exc:
            raise PromptRefused("unreadable") from exc
        seconds = line_wav_seconds(target)
        converted = target.read_bytes()
    if seconds <= 0:
        raise PromptRefused("unreadable")
    if seconds > MAX_SECONDS:
        raise PromptRefused("too-long")
    return PreparedAudio(converted, round(seconds, 2), source_type, clean_filename(filename, source_type))


def put(session: Session, name: str, audio: PreparedAudio, actor_id: int | None, now: datetime) -> PromptRecording:
    """Store (or replace) a prompt's recording and its entry in the line's settings, audited; the caller commits.

    Raises:
        PromptNotFound: the line has no prompt of this name.
    """
    if name not in PROMPT_NAMES:
        raise PromptNotFound(name)
    recording = session.scalars(select(PromptRecording).where(PromptRecording.name == name)).first()
    replaced = recording is not None
    if recording is None:
        recording = PromptRecording(name=name)
        session.add(recording)
    recording.version, recording.content, recording.seconds = audio.version, audio.content, audio.seconds
    recording.source_type, recording.source_name = audio.source_type, audio.source_name
    recording.uploaded_by_id, recording.uploaded_at = actor_id, now
    entry = {"version": audio.version, "seconds": audio.seconds, "filename": audio.source_name}
    _set_entry(session, name, entry, actor_id, now)
    detail = {"filename": audio.source_name, "type": audio.source_type, "seconds": audio.seconds}
    action = "telephony.prompt.replace" if replaced else "telephony.prompt.upload"
    audit.record(session, action, actor_id=actor_id, target=f"prompt:{name}", detail=detail)
    return recording


def upload(
    session: Session, name: str, filename: str | None, content: bytes, actor_id: int | None, now: datetime
) -> PromptRecording:
    """Check, convert and store one prompt's recording; commit.

    Raises:
        PromptNotFound, PromptRefused (see `prepare`).
    """
    if name not in PROMPT_NAMES:
        raise PromptNotFound(name)
    recording = put(session, name, prepare(filename, content), actor_id, now)
    session.commit()
    return recording


def delete(session: Session, name: str, actor_id: int | None, now: datetime) -> bool:
    """Delete a prompt's recording (callers hear its text again), audited; commit. False when there was none."""
    recording = session.scalars(select(PromptRecording).where(PromptRecording.name == name)).first()
    if recording is None:
        return False
    session.delete(recording)
    _set_entry(session, name, None, actor_id, now)
    audit.record(
        session,
        "telephony.prompt.delete",
        actor_id=actor_id,
        target=f"prompt:{name}",
        detail={"filename": recording.source_name},
    )
    session.commit()
    return True


def find(session: Session, name: str, version: str | None = None) -> PromptRecording | None:
    """Return a prompt's recording (of this version when given), else None."""
    recording = session.scalars(select(PromptRecording).where(PromptRecording.name == name)).first()
    if recording is None or (version is not None and not hmac.compare_digest(recording.version, version)):
        return None
    return recording


def _set_entry(session: Session, name: str, entry: dict | None, actor_id: int | None, now: datetime) -> None:
    """Write (or remove) one prompt's entry of the `telephony.recordings` setting."""
    row = session.get(Setting, PREFIX + RECORDINGS) or Setting(key=PREFIX + RECORDINGS, value={})
    items = dict((row.value or {}).get("items") or {})
    if entry is None:
        items.pop(name, None)
    else:
        items[name] = entry
    row.value = {"items": items}
    row.updated_at, row.updated_by_id = now, actor_id
    session.add(row)


# Signed URLs: the public address of a recording, for Twilio and the gateway (no log-in).


def signature(secret: str, name: str, version: str, expires: int) -> str:
    """Return the signature of a recording's URL valid until `expires` (Unix seconds)."""
    message = f"prompt\x00{name}\x00{version}\x00{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def expiry(now: datetime) -> int:
    """Return the expiry of URLs handed out at `now`: at least URL_LIFETIME_SECONDS on, the same for a window."""
    moment = int(now.timestamp())
    return (moment // URL_WINDOW_SECONDS + 1) * URL_WINDOW_SECONDS + URL_LIFETIME_SECONDS


def signed_path(secret: str, name: str, version: str, expires: int) -> str:
    """Return the path and query of a recording's signed URL."""
    sig = signature(secret, name, version, expires)
    return PATH.format(name=name, version=version) + f"?expires={expires}&signature={sig}"


def signature_is_valid(secret: str, name: str, version: str, expires: str, sig: str, now: datetime) -> bool:
    """Tell whether a recording URL's signature is genuine and not expired."""
    try:
        until = int(expires)
    except (TypeError, ValueError):
        return False
    expected = signature(secret, name, version, until)
    return hmac.compare_digest(expected, sig or "") and now.timestamp() <= until


def sign_recordings(settings: LineSettings, secret: str, base_url: str, now: datetime) -> None:
    """Give a copy of the settings its recordings' signed URLs, again when half their lifetime has passed.

    TwiML rendered from the copy (`rendered`) is dropped when the URLs change.
    """
    if not settings.recordings:
        if settings.recording_urls:
            settings.recording_urls, settings.recording_urls_expire = {}, 0
            settings.rendered.clear()
        return
    if settings.recording_urls and now.timestamp() < settings.recording_urls_expire - URL_LIFETIME_SECONDS / 2:
        return
    expires = expiry(now)
    base = base_url.rstrip("/")
    settings.recording_urls = {
        name: base + signed_path(secret, name, str(entry.get("version")), expires)
        for name, entry in settings.recordings.items()
    }
    settings.recording_urls_expire = expires
    settings.rendered.clear()


def line_format() -> str:
    """Describe the stored format, for the page."""
    return f"WAV {RATE // 1000} kHz mono"
