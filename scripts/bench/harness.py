"""Shared benchmark harness: real servers as subprocesses on free ports, databases, load, figures.

Used by the scripts beside it and by the fault tests (tests/ops/). Nothing here
imports the application: every server is a separate process started the way an
operator would start it (gunicorn with deploy/gunicorn.conf.py, or the flask CLI).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: the one free-port helper, shared with the test suite

from tests.support.ports import free_port  # noqa: E402

PYTHON = sys.executable
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
BENCH_DIR = Path(__file__).resolve().parent
AUTH_TOKEN = "bench-auth-token"
ACCOUNT_SID = "AC" + "b" * 32
HOTLINE_NUMBER = "+862229990000"
FIELD_KEY = "C41STp6NLqfgE5CzSgsDfYA9ohwqG1_JUaXkjVpDuLs="
PASSWORD = "bench-password-2026"
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
POSTGRES_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `with` blocks stop the servers they started."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def sqlite_url(folder: Path) -> str:
    """Return a SQLite URL for a fresh file in `folder`."""
    return f"sqlite:///{folder / 'bench.sqlite3'}"


def postgres_url(name: str, admin_url: str = POSTGRES_ADMIN) -> str:
    """Drop and create the PostgreSQL database `name`; return its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def app_env(database_url: str, public_base_url: str, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    """Return a production environment for a Hotline process (Twilio REST pointed at a dead local port)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HOTLINE_", "FLASK_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR", "SOCKETIO_ASYNC_MODE"):
        env.pop(name, None)
    env.update(
        HOTLINE_ENV="production",
        HOTLINE_INSTANCE_DIR=str(Path(tempfile.gettempdir()) / "hotline-bench-instance"),
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret-key-" + "0" * 32,
        FIELD_ENCRYPTION_KEY=FIELD_KEY,
        PUBLIC_BASE_URL=public_base_url,
        TELEPHONY="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_NUMBER=HOTLINE_NUMBER,
        TWILIO_API_BASE_URL=f"http://127.0.0.1:{free_port()}",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def flask_cli(env: dict[str, str], *args: str) -> str:
    """Run `flask --app wsgi ARGS` with `env` and return its output; raise with the output on failure."""
    done = subprocess.run(
        [PYTHON, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def migrate(env: dict[str, str]) -> None:
    """Build the schema with the migrations."""
    flask_cli(env, "db", "upgrade")


class Server:
    """A server subprocess: started in its own process group, ready when a path answers 200."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, ready_path: str = "/healthz"):
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.ready_path = ready_path
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = Path(tempfile.mkstemp(prefix=f"hotline-{name}-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Server:
        """Start the process and wait until it is ready."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        """Poll the ready path until it answers 200; fail with the log's tail if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.url + self.ready_path, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """Return the end of the server's log."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """Kill the whole process group at once, as a crash would (SIGKILL)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """Stop the process group politely (SIGTERM), then by force."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass

    def __enter__(self) -> Server:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def gunicorn(name: str, target: str, env: dict[str, str], port: int, worker_class: str = "gevent") -> Server:
    """Return a gunicorn server for `target` (wsgi:app or baseline_app:app) with the deployment settings."""
    env = {**env, "HOTLINE_BIND": f"127.0.0.1:{port}", "HOTLINE_WORKER_CLASS": worker_class}
    argv = [PYTHON, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--pythonpath", str(BENCH_DIR), target]
    return Server(name, argv, env, port)


def flask_serve(name: str, env: dict[str, str], port: int) -> Server:
    """Return the development server (`flask serve`): Socket.IO on werkzeug, threading mode."""
    argv = [PYTHON, "-m", "flask", "--app", "wsgi", "serve", "--port", str(port)]
    return Server(name, argv, env, port)


@contextmanager
def redis_server(port: int | None = None) -> Iterator[tuple[Server, str]]:
    """Run a throwaway redis-server (no persistence) on a free port; yield it and its URL."""
    port = port or free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = Server(f"redis-{port}", argv, dict(os.environ), port, ready_path="")
    server.wait_ready = lambda timeout=30: wait_for_port(port, timeout)  # type: ignore[method-assign]
    with server:
        yield server, f"redis://127.0.0.1:{port}/0"


def wait_for_port(port: int, timeout: float = 30) -> None:
    """Wait until something accepts TCP connections on `port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """Return the X-Twilio-Signature Twilio would send for a POST to `url` with `params`."""
    from twilio.request_validator import RequestValidator

    return RequestValidator(token).compute_signature(url, params)


def incoming_call(base_url: str, call_sid: str, caller: str = "+8613800000000") -> tuple[str, dict[str, str], dict]:
    """Return the URL, form and headers of a signed incoming-call webhook for `call_sid`."""
    url = f"{base_url}/twilio/voice/incoming"
    form = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": HOTLINE_NUMBER,
        "Caller": caller,
        "Direction": "inbound",
        "From": caller,
        "To": HOTLINE_NUMBER,
    }
    return url, form, {"X-Twilio-Signature": sign(url, form)}


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of `values` by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def ratio(value: float, baseline: float) -> str:
    """Return value/baseline as text."""
    return f"{value / baseline:.2f}" if baseline else "n/a"


def table(rows: list[list[Any]]) -> str:
    """Format rows (the first is the header) as an aligned text table."""
    text = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in text) for i in range(len(text[0]))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in text)


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb in a temp dir, own port) that a test may stop and start."""

    def __init__(self) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
        if not versions:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = versions[-1].parent
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        self.data = self.folder / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # initdb refuses to run as root: run the server binaries as the postgres account then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *argv: str) -> None:
        done = subprocess.run([*self.prefix, *argv], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")

    def init(self) -> PostgresCluster:
        """Create the cluster (trust authentication on 127.0.0.1 only)."""
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"
        )
        return self

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        log = str(self.folder / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: disconnect every client, as a restart does)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def create_database(self, name: str) -> str:
        """Create a database in this cluster and return its URL."""
        return postgres_url(name, self.url)

    def destroy(self) -> None:
        """Stop the server if it runs and delete its files."""
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Run a throwaway PostgreSQL cluster for the duration of the block."""
    cluster = PostgresCluster().init()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def open_line_all_day(database_url: str) -> None:
    """Open the phone line around the clock, holidays included, so runs do not depend on the time of day."""
    import json
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, text

    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    value = json.dumps({"weekly": {day: [["00:00", "24:00"]] for day in days}, "open_on_holidays": True})
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.begin() as connection:
            cast = "CAST(:value AS JSONB)" if connection.dialect.name == "postgresql" else ":value"
            connection.execute(text("DELETE FROM settings WHERE key = 'telephony.hours'"))
            connection.execute(
                text(f"INSERT INTO settings (key, value, updated_at) VALUES ('telephony.hours', {cast}, :now)"),
                {"value": value, "now": datetime.now(UTC)},
            )
    finally:
        engine.dispose()


def sqlalchemy_url(database_url: str) -> str:
    """Return the URL with the psycopg 3 driver for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run one SQL query against the database and return its rows."""
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def create_worker(database_url: str, username: str) -> None:
    """Create a worker account (password PASSWORD) in the database with the app's own command."""
    env = app_env(database_url, "http://127.0.0.1:1")
    flask_cli(env, "users", "create", "--username", username, "--role", "worker", "--password", PASSWORD)


def metric(text: str, name: str) -> float:
    """Return a sample's value from a Prometheus text page (without labels), 0 when absent."""
    import re

    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def webhook(base_url: str, path: str, form: dict[str, str]) -> tuple[str, dict[str, str], dict[str, str]]:
    """Return the URL, form and signed headers of a Twilio webhook to `path`."""
    url = f"{base_url}{path}"
    return url, form, {"X-Twilio-Signature": sign(url, form)}


def log_in(base_url: str, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; return the Cookie header (production cookies are Secure: kept by hand over HTTP)."""
    page = requests.get(f"{base_url}/login", timeout=10)
    match = CSRF_META.search(page.text)
    if match is None:
        raise RuntimeError(f"no CSRF token on {base_url}/login ({page.status_code})")
    cookies = {cookie.name: cookie.value for cookie in page.cookies}
    form = {"username": username, "password": password, "csrf_token": match.group(1)}
    answer = requests.post(f"{base_url}/login", data=form, cookies=cookies, allow_redirects=False, timeout=10)
    if answer.status_code != 302:
        raise RuntimeError(f"log-in of {username} failed: {answer.status_code}")
    cookies.update({cookie.name: cookie.value for cookie in answer.cookies})
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
