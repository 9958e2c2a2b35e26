"""Gunicorn settings for one Hotline web process: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Flask-SocketIO needs exactly one worker per gunicorn process (a Socket.IO
session lives in one process); to scale, run several of these processes on
different ports behind nginx with sticky sessions (ip_hash) and REDIS_URL set
so they share a Socket.IO message queue. See docs/deploy.md for why gevent is
the default worker class (measured in docs/performance.md).

Environment (all optional):
  HOTLINE_BIND            address to listen on (default 127.0.0.1:8001)
  HOTLINE_WORKER_CLASS    gevent (default) or gthread (default when DATABASE_URL is SQLite);
                          sets SOCKETIO_ASYNC_MODE to match
  HOTLINE_THREADS         gthread only: threads per process (default 100; each console holds one)
  HOTLINE_CONNECTIONS     gevent only: concurrent connections per process (default 1000)
  PROMETHEUS_MULTIPROC_DIR  a folder shared by the web processes of this host (metrics)
"""

import os

# No imports of the application here: the gevent worker monkey-patches the
# standard library after this file is read and before the app is imported.

# gevent by default; gthread on SQLite, whose lock waits would stall a gevent process (hotline/db.py).
_default_worker = "gthread" if os.environ.get("DATABASE_URL", "").startswith("sqlite") else "gevent"
_worker = os.environ.get("HOTLINE_WORKER_CLASS", "").strip() or _default_worker
if _worker not in ("gevent", "gthread"):
    raise SystemExit(f"HOTLINE_WORKER_CLASS: expected gevent or gthread, got {_worker!r}")

bind = os.environ.get("HOTLINE_BIND", "127.0.0.1:8001")
workers = 1  # never more: see above
worker_class = _worker
if _worker == "gevent":
    worker_connections = int(os.environ.get("HOTLINE_CONNECTIONS", "1000"))
    os.environ["SOCKETIO_ASYNC_MODE"] = "gevent"
else:
    threads = int(os.environ.get("HOTLINE_THREADS", "100"))
    os.environ["SOCKETIO_ASYNC_MODE"] = "threading"

# Twilio gives up on a webhook after 15 s; a request still running at 30 s is stuck.
timeout = 30
graceful_timeout = 20
keepalive = 5
# The app writes one JSON line per request itself (hotline/request_log.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = f"hotline-web-{bind.rsplit(':', 1)[-1]}"

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_dir:
    os.makedirs(_metrics_dir, exist_ok=True)


def post_worker_init(worker):  # noqa: ANN001, ANN201, ARG001  (gunicorn's hook signature)
    """Keep the objects of the loaded application out of the garbage collector's full collections.

    The worker holds some 240,000 long-lived objects once the application is loaded
    (phone number metadata, SQLAlchemy's mappers, templates...). Each full collection
    scanned all of them: about 170 ms in which no webhook of the process answered.
    Frozen (moved to the permanent generation), they are never scanned; a full
    collection takes about 10 ms. Measured with a gc.callbacks timer under
    scripts/bench/bench_webhook.py's load.
    """
    import gc

    gc.freeze()


def child_exit(server, worker):  # noqa: ANN001, ANN201  (gunicorn's hook signature)
    """Let prometheus-client drop the live gauges of a worker that exited."""
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
