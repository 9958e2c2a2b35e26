"""Check that psycopg 3 yields to other greenlets under gevent (so one slow query does not stall a process).

Run: python scripts/bench/check_gevent_psycopg.py postgresql://postgres@127.0.0.1:5432/postgres
Ten greenlets each run SELECT pg_sleep(0.5): cooperative if they finish in about 0.5 s, not 5 s.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import psycopg  # noqa: E402


def sleep_in_database(url: str) -> None:
    """Hold a connection in pg_sleep for half a second."""
    with psycopg.connect(url) as connection:
        connection.execute("SELECT pg_sleep(0.5)")


def main() -> int:
    """Print the wall time of ten concurrent half-second queries; exit 1 if they ran one after another."""
    url = sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/postgres"
    started = time.perf_counter()
    gevent.joinall([gevent.spawn(sleep_in_database, url) for _ in range(10)], raise_error=True)
    elapsed = time.perf_counter() - started
    cooperative = elapsed < 2.0
    print(f"10 x pg_sleep(0.5) under gevent: {elapsed:.2f} s ({'cooperative' if cooperative else 'BLOCKING'})")
    return 0 if cooperative else 1


if __name__ == "__main__":
    sys.exit(main())
