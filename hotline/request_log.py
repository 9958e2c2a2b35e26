"""Structured logs: one JSON line per request with a request id; no personal data in logs (redaction.py)."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from hotline.redaction import install, safe_traceback, scrub


class JsonFormatter(logging.Formatter):
    """Format records as one JSON object a line (records are already scrubbed when made)."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as JSON."""
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        for key in ("method", "path", "status", "duration_ms", "user_id", "endpoint"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:  # a record made before redaction.install()
            entry["stack"] = safe_traceback(record.exc_info[1]) if record.exc_info[1] else None
        elif record.exc_text:
            entry["stack"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def init_app(app: Flask) -> None:
    """Log every request as one line, and errors with their stack; scrub every record of the process."""
    install()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("hotline")
    logger.handlers = [handler]
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logger.propagate = False
    app.logger.handlers = [handler]
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    access = logging.getLogger("hotline.requests")

    @app.before_request
    def start_timer() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if re.fullmatch(r"[A-Za-z0-9\-]{8,64}", incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        from flask_login import current_user

        from hotline.access import carries_credentials

        response.headers["X-Request-ID"] = g.get("request_id", "")
        if not access.isEnabledFor(logging.INFO):
            return response
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        signed_in = carries_credentials() and current_user.is_authenticated  # no user is loaded for nothing
        user_id = current_user.get_id() if signed_in else None
        access.info(
            "request",
            extra={
                "method": request.method,
                "path": scrub(request.path),
                "endpoint": request.endpoint,
                "status": response.status_code,
                "duration_ms": duration,
                "user_id": user_id,
            },
        )
        return response
