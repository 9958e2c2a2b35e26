"""Configuration: one base class, a class per environment, typed environment parsing.

Every setting comes from an environment variable. `load_config(name)` builds the
settings for an environment and raises `ConfigError` naming the variable when a
value is missing or wrong, so a production server refuses to start with a clear
message instead of running half-configured.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("HOTLINE_INSTANCE_DIR", BASE_DIR / "instance"))
TELEPHONY_CHOICES = ("simulator", "twilio", "gateway")
SOCKETIO_ASYNC_MODES = ("threading", "gevent")


class ConfigError(RuntimeError):
    """A configuration variable is missing or has a wrong value."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def env_str(name: str, default: str | None = None) -> str | None:
    """Return an environment variable, treating an empty value as unset."""
    value = os.environ.get(name, "").strip()
    return value or default


def local_base_url(host: str | None = None, port: int | str | None = None) -> str:
    """Return the development server's own address: HOST and PORT as ./scripts/dev serves (0.0.0.0 -> 127.0.0.1)."""
    host = host or env_str("HOST", "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port or env_str('PORT', '5000')}"


def env_int(name: str, default: int, minimum: int = 0) -> int:
    """Return an integer environment variable, refusing non-numbers."""
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return a yes/no environment variable (1/0, true/false, yes/no, on/off)."""
    raw = env_str(name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}")


def instance_secret(filename: str, make: callable) -> str:
    """Read a development secret from instance/, generating it on first use."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def check_timezone(name: str, value: str) -> str:
    """Refuse a time zone name that zoneinfo does not know."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(name, f"unknown time zone {value!r}") from exc
    return value


def check_fernet_keys(name: str, value: str) -> str:
    """Refuse field-encryption keys that are not Fernet keys."""
    for key in value.split(","):
        try:
            Fernet(key.strip().encode())
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                name,
                "expected comma-separated Fernet keys (make one with: flask --app wsgi keys generate)",
            ) from exc
    return value


def check_url(name: str, value: str | None, schemes: tuple[str, ...]) -> str | None:
    """Refuse a URL whose scheme is not one of `schemes`."""
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ConfigError(name, f"expected a {'/'.join(schemes)} URL, got {value!r}")
    return value.rstrip("/") if schemes[0].startswith("http") else value


def check_networks(name: str, value: str) -> str:
    """Refuse a comma-separated list of IP networks that ipaddress cannot read."""
    import ipaddress

    if value.strip().lower() == "none":
        return "none"
    for item in value.split(","):
        try:
            ipaddress.ip_network(item.strip(), strict=False)
        except ValueError as exc:
            raise ConfigError(name, f"expected comma-separated IP networks (10.0.0.0/8,::1/128), got {item!r}") from exc
    return value


def env_host_port(name: str, default: str) -> tuple[str, int]:
    """Return a "host:port" environment variable as (host, port), refusing anything else."""
    raw = env_str(name, default)
    host, _, port = raw.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(name, f"expected host:port (127.0.0.1:5080), got {raw!r}")
    return host, int(port)


def env_port_range(name: str, default: str) -> tuple[int, int]:
    """Return a "first-last" UDP port range, refusing reversed, tiny or out-of-range ones."""
    raw = env_str(name, default)
    first, _, last = raw.partition("-")
    if not (first.isdigit() and last.isdigit()) or not 1024 <= int(first) < int(last) < 65536:
        raise ConfigError(name, f"expected a port range first-last within 1024-65535, got {raw!r}")
    if int(last) - int(first) < 3:
        raise ConfigError(name, f"the range must hold at least 4 ports (2 per call), got {raw!r}")
    return int(first), int(last)


def check_sip_template(name: str, placeholder: str) -> str | None:
    """Return a SIP URI template such as sip:{number}@carrier, refusing one without its placeholder."""
    value = env_str(name)
    if value is not None and (not value.startswith(("sip:", "sips:")) or placeholder not in value):
        raise ConfigError(name, f"expected a sip: URI with {placeholder} in it, got {value!r}")
    return value


def env_networks(name: str, default: str) -> tuple[str, ...]:
    """Return a comma-separated list of IP networks ("" for none), each checked."""
    raw = env_str(name, default) or ""
    if not raw.strip() or raw.strip().lower() == "none":
        return ()
    check_networks(name, raw)
    return tuple(item.strip() for item in raw.split(","))


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    DEBUG = False
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "zh"
    LANGUAGES = ("zh", "en")
    SIMULATOR_ENABLED = True

    def __init__(self) -> None:
        self.DATABASE_URL = normalise_database_url(
            env_str("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'hotline.sqlite3'}"
        )
        self.SQLALCHEMY_DATABASE_URI = self.DATABASE_URL
        self.REDIS_URL = check_url("REDIS_URL", env_str("REDIS_URL"), ("redis", "rediss"))
        self.HOTLINE_TZ = check_timezone("HOTLINE_TZ", env_str("HOTLINE_TZ", "Asia/Shanghai"))
        self.TELEPHONY = env_str("TELEPHONY", "simulator")
        if self.TELEPHONY not in TELEPHONY_CHOICES:
            raise ConfigError("TELEPHONY", f"expected one of {TELEPHONY_CHOICES}, got {self.TELEPHONY!r}")
        self.PUBLIC_BASE_URL_SET = env_str("PUBLIC_BASE_URL") is not None
        self.PUBLIC_BASE_URL = check_url(
            "PUBLIC_BASE_URL", env_str("PUBLIC_BASE_URL", local_base_url()), ("http", "https")
        )
        self.TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
        self.TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
        self.TWILIO_NUMBER = env_str("TWILIO_NUMBER")
        self.TWILIO_API_BASE_URL = check_url("TWILIO_API_BASE_URL", env_str("TWILIO_API_BASE_URL"), ("http", "https"))
        self.TWILIO_API_KEY_SID = env_str("TWILIO_API_KEY_SID")
        # Template SMS to mainland numbers (hotline/sms): the providers' secrets, under the SDKs' own names.
        self.ALIBABA_CLOUD_ACCESS_KEY_ID = env_str("ALIBABA_CLOUD_ACCESS_KEY_ID")
        self.ALIBABA_CLOUD_ACCESS_KEY_SECRET = env_str("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        self.TENCENTCLOUD_SECRET_ID = env_str("TENCENTCLOUD_SECRET_ID")
        self.TENCENTCLOUD_SECRET_KEY = env_str("TENCENTCLOUD_SECRET_KEY")
        self.SMS_ALIBABA_ENDPOINT = env_str("SMS_ALIBABA_ENDPOINT", "dysmsapi.aliyuncs.com")
        self.SMS_TENCENT_ENDPOINT = env_str("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com")
        self.SMS_PROTOCOL = env_str("SMS_PROTOCOL", "https")
        if self.SMS_PROTOCOL not in ("http", "https"):
            raise ConfigError("SMS_PROTOCOL", f"expected http or https, got {self.SMS_PROTOCOL!r}")
        self.TWILIO_API_KEY_SECRET = env_str("TWILIO_API_KEY_SECRET")
        self.TWILIO_TWIML_APP_SID = env_str("TWILIO_TWIML_APP_SID")
        self.SECRET_KEY = env_str("SECRET_KEY")
        self.FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")
        if self.FIELD_ENCRYPTION_KEY:
            check_fernet_keys("FIELD_ENCRYPTION_KEY", self.FIELD_ENCRYPTION_KEY)
        self.DEFAULT_REGION = env_str("HOTLINE_DEFAULT_REGION", "CN")
        self.SCHEDULER_IN_WEB = env_bool("SCHEDULER_IN_WEB", False)
        # Supervisors, managers and admins must log in with a TOTP code (never off in production).
        self.SECOND_FACTOR_REQUIRED = env_bool("SECOND_FACTOR_REQUIRED", True)
        # How many proxies (nginx: 1) stand in front of the web processes and set X-Forwarded-For/-Proto.
        self.TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
        # A session ends after this long unused (a console's heartbeat counts as use) and this long at most.
        self.SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 60, minimum=1)
        self.SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12, minimum=1)
        # How often each web process closes the Socket.IO connections of ended sessions (0: never).
        self.SESSION_SOCKET_CHECK_SECONDS = env_int("SESSION_SOCKET_CHECK_SECONDS", 2)
        self.LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.SOCKETIO_ASYNC_MODE = env_str("SOCKETIO_ASYNC_MODE", "threading")
        if self.SOCKETIO_ASYNC_MODE not in SOCKETIO_ASYNC_MODES:
            raise ConfigError(
                "SOCKETIO_ASYNC_MODE", f"expected one of {SOCKETIO_ASYNC_MODES}, got {self.SOCKETIO_ASYNC_MODE!r}"
            )
        self.METRICS_TOKEN = env_str("METRICS_TOKEN")
        self.METRICS_ALLOWED_NETWORKS = check_networks(
            "METRICS_ALLOWED_NETWORKS", env_str("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
        )
        self.SCHEDULER_HEARTBEAT_MAX_AGE = env_int("SCHEDULER_HEARTBEAT_MAX_AGE", 60)
        # How long a web process may answer calls from its copy of the phone line's settings (0: read every time).
        self.LINE_SETTINGS_CACHE_SECONDS = env_int("LINE_SETTINGS_CACHE_SECONDS", 5)
        self.load_gateway_sip()
        if self.TELEPHONY == "gateway" and not self.TWILIO_API_BASE_URL:
            host, port = self.GATEWAY_REST_LISTEN
            self.TWILIO_API_BASE_URL = f"http://{host}:{port}"  # the app's twilio client talks to the gateway
        # A pooled PostgreSQL connection idle longer than this is tested before use (0: every time).
        self.DATABASE_PING_IDLE_MS = env_int("DATABASE_PING_IDLE_MS", 1000)
        # PostgreSQL connections each web process keeps open, and how many more it may open for a burst.
        self.DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 20, minimum=1)
        self.DATABASE_POOL_OVERFLOW = env_int("DATABASE_POOL_OVERFLOW", 0)
        if self.DATABASE_URL.startswith("sqlite"):
            self.SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 30}, "hide_parameters": True}
        else:
            self.SQLALCHEMY_ENGINE_OPTIONS = {
                "hide_parameters": True,
                "pool_size": self.DATABASE_POOL_SIZE,
                "max_overflow": self.DATABASE_POOL_OVERFLOW,
            }

    def load_gateway_sip(self) -> None:
        """The gateway's SIP line: listen address, RTP ports, the trunk (registration or peers)."""
        self.GATEWAY_SIP_LISTEN = env_host_port("GATEWAY_SIP_LISTEN", "127.0.0.1:5080")
        self.GATEWAY_SIP_PUBLIC_ADDRESS = env_str("GATEWAY_SIP_PUBLIC_ADDRESS")
        self.GATEWAY_RTP_PORTS = env_port_range("GATEWAY_RTP_PORTS", "40000-40999")
        self.GATEWAY_MAX_CALLS = env_int("GATEWAY_MAX_CALLS", 4, minimum=1)
        if self.GATEWAY_MAX_CALLS > 4:
            raise ConfigError(
                "GATEWAY_MAX_CALLS",
                "pjsua2-python 2.15.1.post1 holds at most 4 calls per process: run more gateways behind Kamailio",
            )
        self.GATEWAY_INVITES_PER_WINDOW = env_int("GATEWAY_INVITES_PER_WINDOW", 30, minimum=1)
        self.GATEWAY_TRUNK_PEERS = env_networks("GATEWAY_TRUNK_PEERS", "127.0.0.1/32")
        self.GATEWAY_TRUNK_REGISTRAR = check_url(
            "GATEWAY_TRUNK_REGISTRAR", env_str("GATEWAY_TRUNK_REGISTRAR"), ("sip",)
        )
        self.GATEWAY_TRUNK_USERNAME = env_str("GATEWAY_TRUNK_USERNAME")
        self.GATEWAY_TRUNK_PASSWORD = env_str("GATEWAY_TRUNK_PASSWORD")
        self.GATEWAY_TRUNK_REALM = env_str("GATEWAY_TRUNK_REALM", "*")
        self.GATEWAY_TRUNK_REGISTER_SECONDS = env_int("GATEWAY_TRUNK_REGISTER_SECONDS", 300, minimum=60)
        self.GATEWAY_TRUNK_AREA_CODE = env_str("GATEWAY_TRUNK_AREA_CODE")
        self.GATEWAY_TRUNK_NUMBER_URI = check_sip_template("GATEWAY_TRUNK_NUMBER_URI", "{number}")
        self.GATEWAY_CLIENT_URI = check_sip_template("GATEWAY_CLIENT_URI", "{identity}")
        self.GATEWAY_APOLOGY_WAV = env_str("GATEWAY_APOLOGY_WAV")
        if self.GATEWAY_APOLOGY_WAV and not Path(self.GATEWAY_APOLOGY_WAV).is_file():
            raise ConfigError("GATEWAY_APOLOGY_WAV", f"no such file {self.GATEWAY_APOLOGY_WAV!r}")
        self.GATEWAY_FALLBACK = env_str("GATEWAY_FALLBACK")
        self.GATEWAY_REST_LISTEN = env_host_port("GATEWAY_REST_LISTEN", "127.0.0.1:8765")
        self.GATEWAY_HEALTH_LISTEN = env_host_port("GATEWAY_HEALTH_LISTEN", "127.0.0.1:8766")
        self.GATEWAY_CACHE_DIR = env_str("GATEWAY_CACHE_DIR", str(INSTANCE_DIR / "gateway"))
        # Workers' SIP phones register at Kamailio with credentials the app issues (auth_ephemeral's scheme).
        self.GATEWAY_PHONE_REGISTRAR = check_url(
            "GATEWAY_PHONE_REGISTRAR", env_str("GATEWAY_PHONE_REGISTRAR"), ("sip",)
        )
        self.GATEWAY_PHONE_SECRET = env_str("GATEWAY_PHONE_SECRET")
        if self.GATEWAY_PHONE_SECRET and len(self.GATEWAY_PHONE_SECRET) < 16:
            raise ConfigError("GATEWAY_PHONE_SECRET", "at least 16 characters (Kamailio's auth_ephemeral secret)")
        self.GATEWAY_PHONE_HOURS = env_int("GATEWAY_PHONE_HOURS", 24, minimum=1)
        # The console's browser softphone on a SIP line: Kamailio's SIP-over-WebSocket address (wss:// behind nginx).
        self.GATEWAY_PHONE_WS_URL = check_url("GATEWAY_PHONE_WS_URL", env_str("GATEWAY_PHONE_WS_URL"), ("wss", "ws"))
        if self.GATEWAY_TRUNK_AREA_CODE and not self.GATEWAY_TRUNK_AREA_CODE.lstrip("0").isdigit():
            raise ConfigError(
                "GATEWAY_TRUNK_AREA_CODE", f"expected digits (22 for Tianjin), got {self.GATEWAY_TRUNK_AREA_CODE!r}"
            )
        if self.GATEWAY_TRUNK_REGISTRAR and not (self.GATEWAY_TRUNK_USERNAME and self.GATEWAY_TRUNK_PASSWORD):
            raise ConfigError(
                "GATEWAY_TRUNK_USERNAME", "required with GATEWAY_TRUNK_PASSWORD when GATEWAY_TRUNK_REGISTRAR is set"
            )


class DevelopmentConfig(Config):
    """Local development: generated secrets kept in instance/, scheduler in the web process."""

    ENV_NAME = "development"
    DEBUG = False

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or instance_secret("secret_key", lambda: secrets.token_hex(32))
        self.FIELD_ENCRYPTION_KEY = self.FIELD_ENCRYPTION_KEY or instance_secret(
            "field_encryption_key", lambda: Fernet.generate_key().decode()
        )
        self.SCHEDULER_IN_WEB = env_bool("SCHEDULER_IN_WEB", True)
        # The demo's supervisors, managers and admin log in with their password alone unless turned on.
        self.SECOND_FACTOR_REQUIRED = env_bool("SECOND_FACTOR_REQUIRED", False)


class TestingConfig(Config):
    """Tests: fixed keys, CSRF on (tests fetch tokens like a browser would)."""

    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or "testing-secret-key"
        self.FIELD_ENCRYPTION_KEY = self.FIELD_ENCRYPTION_KEY or "C41STp6NLqfgE5CzSgsDfYA9ohwqG1_JUaXkjVpDuLs="
        self.TWILIO_ACCOUNT_SID = self.TWILIO_ACCOUNT_SID or "AC" + "0" * 32
        self.TWILIO_AUTH_TOKEN = self.TWILIO_AUTH_TOKEN or "test-auth-token"
        self.TWILIO_NUMBER = self.TWILIO_NUMBER or "+862288880000"
        # Tests write settings and read them back at once, often inside one rolled-back transaction.
        self.LINE_SETTINGS_CACHE_SECONDS = 0
        # Socket.IO tests share one connection per test; the session check runs only where a test turns it on.
        self.SESSION_SOCKET_CHECK_SECONDS = env_int("SESSION_SOCKET_CHECK_SECONDS", 0)
        # Test users log in with their password; the second-factor tests turn this on.
        self.SECOND_FACTOR_REQUIRED = env_bool("SECOND_FACTOR_REQUIRED", False)


class ProductionConfig(Config):
    """Production: every secret from the environment, secure cookies, no simulator."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SIMULATOR_ENABLED = False

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY or len(self.SECRET_KEY) < 32:
            raise ConfigError("SECRET_KEY", "required in production, at least 32 characters")
        if not self.FIELD_ENCRYPTION_KEY:
            raise ConfigError("FIELD_ENCRYPTION_KEY", "required in production")
        if not self.SECOND_FACTOR_REQUIRED:
            raise ConfigError("SECOND_FACTOR_REQUIRED", "cannot be turned off in production")
        if env_str("PUBLIC_BASE_URL") is None:
            raise ConfigError("PUBLIC_BASE_URL", "required in production (the URL Twilio calls)")
        if self.DATABASE_URL.startswith("sqlite") and env_str("DATABASE_URL") is None:
            raise ConfigError("DATABASE_URL", "required in production")
        if self.TELEPHONY in ("twilio", "gateway"):
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_NUMBER"):
                if not getattr(self, name):
                    raise ConfigError(name, f"required when TELEPHONY={self.TELEPHONY}")
        else:
            raise ConfigError(
                "TELEPHONY", "must be 'twilio' or 'gateway' in production (the simulator is for development)"
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    """Build the settings for `name` (default: HOTLINE_ENV, else development)."""
    name = name or env_str("HOTLINE_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError("HOTLINE_ENV", f"expected one of {sorted(CONFIGS)}, got {name!r}")
    return CONFIGS[name]()
