"""The installation's SMS provider and its templates, as managers set them (key prefix "sms.").

`sms.provider` names the provider ("telephony": the phone line's own SMS, Twilio
or the gateway; "alibaba"; "tencent") with its account settings; secrets come from
the environment (the SDKs' own variable names) or are stored encrypted here, and
are never shown back. `sms.templates.<provider>` maps each message kind to its
template. `sms.callbacks` holds the secret token in the callback URLs the
operator registers with the provider (neither provider signs its callbacks).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from hotline.privacy import cipher
from hotline.settings import Setting
from hotline.sms.kinds import KINDS, PROVIDERS, default_entry
from hotline.sms.providers import AlibabaSms, SmsProvider, TencentSms

PROVIDER_KEY = "sms.provider"
CALLBACK_KEY = "sms.callbacks"
CHOICES = ("telephony", *PROVIDERS)
DEFAULTS: dict[str, Any] = {
    "provider": "telephony",
    "alibaba": {"sign_name": "", "access_key_id": "", "secret": ""},
    "tencent": {"sign_name": "", "sdk_app_id": "", "region": "ap-guangzhou", "secret_id": "", "secret": ""},
}
ENV_SECRETS = {
    "alibaba": ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    "tencent": ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"),
}
KEY_FIELD = {"alibaba": "access_key_id", "tencent": "secret_id"}


def _row(session: Session, key: str) -> dict[str, Any]:
    row = session.get(Setting, key)
    return dict(row.value) if row is not None else {}


def _store(session: Session, key: str, value: dict[str, Any], user_id: int | None) -> None:
    row = session.get(Setting, key) or Setting(key=key)
    row.value, row.updated_by_id = value, user_id
    session.add(row)


def provider_settings(session: Session) -> dict[str, Any]:
    """Return the provider settings with defaults (stored secrets stay encrypted)."""
    stored = _row(session, PROVIDER_KEY)
    merged = {"provider": stored.get("provider", DEFAULTS["provider"])}
    for name in PROVIDERS:
        merged[name] = {**DEFAULTS[name], **(stored.get(name) or {})}
    return merged


def active_provider_name(session: Session) -> str:
    """Return "telephony", "alibaba" or "tencent"."""
    return provider_settings(session)["provider"]


def secret_source(session: Session, name: str) -> str:
    """Return where a provider's secret comes from: "environment", "stored" or "" (missing)."""
    key_env, secret_env = ENV_SECRETS[name]
    if current_app.config.get(key_env) and current_app.config.get(secret_env):
        return "environment"
    return "stored" if provider_settings(session)[name].get("secret") else ""


def credentials(session: Session, name: str) -> tuple[str, str]:
    """Return (key id, secret) for a provider: the environment first, else the stored, decrypted secret."""
    key_env, secret_env = ENV_SECRETS[name]
    if current_app.config.get(key_env) and current_app.config.get(secret_env):
        return current_app.config[key_env], current_app.config[secret_env]
    account = provider_settings(session)[name]
    secret = cipher().decrypt(account["secret"]) if account.get("secret") else ""
    return account.get(KEY_FIELD[name]) or "", secret


def save_provider(session: Session, provider: str, accounts: dict[str, dict[str, str]], user_id: int | None) -> None:
    """Store the provider choice and accounts; a blank secret keeps the stored one (the caller commits).

    Raises:
        ValueError: an unknown provider.
    """
    if provider not in CHOICES:
        raise ValueError(provider)
    current = provider_settings(session)
    value: dict[str, Any] = {"provider": provider}
    for name in PROVIDERS:
        account = {**current[name]}
        for field, raw in (accounts.get(name) or {}).items():
            if field == "secret":
                if raw:
                    account["secret"] = cipher().encrypt(raw)
            elif field in DEFAULTS[name]:
                account[field] = raw.strip()
        value[name] = account
    _store(session, PROVIDER_KEY, value, user_id)


def templates(session: Session, provider: str) -> dict[str, dict[str, Any]]:
    """Return every kind's template entry for a provider (defaults for kinds not set yet)."""
    stored = _row(session, f"sms.templates.{provider}")
    return {name: {**default_entry(provider, kind), **(stored.get(name) or {})} for name, kind in KINDS.items()}


def save_template(session: Session, provider: str, kind: str, entry: dict[str, Any], user_id: int | None) -> None:
    """Store one kind's template entry (checked by the caller; the caller commits)."""
    stored = _row(session, f"sms.templates.{provider}")
    stored[kind] = entry
    _store(session, f"sms.templates.{provider}", stored, user_id)


def stored_callback_token(session: Session) -> str | None:
    """Return the callback URLs' token, or None before the settings page first showed them."""
    return _row(session, CALLBACK_KEY).get("token")


def callback_token(session: Session) -> str:
    """Return the secret token of the callback URLs, creating it on first use (the caller commits)."""
    stored = _row(session, CALLBACK_KEY)
    if not stored.get("token"):
        stored["token"] = secrets.token_urlsafe(24)
        _store(session, CALLBACK_KEY, stored, None)
        session.flush()
    return stored["token"]


def build_provider(session: Session, name: str) -> SmsProvider:
    """Return the SDK-backed provider with its account and the configured endpoint."""
    account = provider_settings(session)[name]
    key_id, secret = credentials(session, name)
    protocol = current_app.config.get("SMS_PROTOCOL", "https")
    if name == "alibaba":
        return AlibabaSms(
            key_id, secret, account["sign_name"], endpoint=current_app.config["SMS_ALIBABA_ENDPOINT"], protocol=protocol
        )
    return TencentSms(
        key_id,
        secret,
        account["sdk_app_id"],
        account["sign_name"],
        region=account.get("region") or "ap-guangzhou",
        endpoint=current_app.config["SMS_TENCENT_ENDPOINT"],
        protocol=protocol,
    )
