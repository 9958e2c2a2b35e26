"""Flask extensions, created unbound and initialised by `create_app`."""

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits.storage import Storage, storage_from_string

from hotline.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
socketio = SocketIO()
babel = Babel()
login = LoginManager()
csrf = CSRFProtect()


class ThrottleCounters:
    """The log-in throttle's counters: the `limits` library's storage, Redis with REDIS_URL, else memory.

    Only the log-in throttle (`accounts/throttle.py`) counts, so no hook runs on other requests.
    """

    def __init__(self) -> None:
        self._storage: Storage | None = None

    def init_app(self, app: Flask) -> None:
        """Open the storage named by RATELIMIT_STORAGE_URI."""
        self._storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])

    @property
    def storage(self) -> Storage:
        """The storage (after `init_app`)."""
        if self._storage is None:
            raise RuntimeError("throttle_counters.init_app() has not run")
        return self._storage

    def reset(self) -> None:
        """Forget every counter (tests)."""
        self.storage.reset()


throttle_counters = ThrottleCounters()
