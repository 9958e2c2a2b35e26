"""Benchmark: the month summary with 1,000,000 calls in the database, against a plain count(*).

    python scripts/bench/bench_reports.py                      # temporary SQLite file
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python scripts/bench/bench_reports.py
    python scripts/bench/bench_reports.py --calls 200000       # a smaller run

Seeds calls spread evenly over twelve months (bulk insert, about a tenth with a
case, an intake and a satisfaction answer), then times `summary()` for one month
(by_day, by_service and by_area included) against `SELECT count(*)` over the
same month's rows, and prints both with their ratio. On PostgreSQL the schema is
dropped and rebuilt: point it at a throwaway database.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, insert, select, text  # noqa: E402

START = datetime(2025, 4, 1, tzinfo=UTC)
MONTH = (date(2026, 3, 1), date(2026, 3, 31))
SERVICES = ["info", "needs", "emotional", "resources", "crisis", "listening", "family", None]
BATCH = 20_000


def build_app(url: str):  # noqa: ANN201
    """Create the app on `url` with a fresh schema built by the migrations."""
    from hotline import create_app
    from tests.conftest import reset_schema

    os.environ.setdefault("HOTLINE_INSTANCE_DIR", tempfile.mkdtemp(prefix="hotline-bench-"))
    app = create_app("testing", {"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SOCKETIO_NO_QUEUE": True})
    reset_schema(app)
    return app


def seed(session, calls: int) -> None:  # noqa: ANN001
    """Bulk-insert areas, cases and `calls` calls over twelve months, with intakes and satisfaction."""
    from hotline.cases.models import CallSatisfaction, Case, IntakeVersion
    from hotline.directory.models import Area
    from hotline.telephony.models import Call

    rng = random.Random(7)
    session.execute(
        insert(Area), [{"id": 1, "code": "120115", "name": "宝坻区", "level": "district", "invented": False}]
    )
    session.execute(
        insert(Area),
        [
            {
                "id": 1 + n,
                "code": f"120115{n:03d}",
                "name": f"街道{n}",
                "level": "street",
                "parent_id": 1,
                "invented": False,
            }
            for n in range(1, 21)
        ],
    )
    case_every = 10
    cases = calls // case_every
    for first in range(0, cases, BATCH):
        session.execute(
            insert(Case),
            [
                {
                    "id": n + 1,
                    "reference": f"HL-B-{n + 1}",
                    "status": "closed",
                    "risk": "none",
                    "services": ["info"],
                    "target_groups": ["other"],
                    "area_id": 2 + n % 20,
                    "consent_callback": False,
                    "consent_share": False,
                    "created_at": START,
                    "updated_at": START,
                }
                for n in range(first, min(first + BATCH, cases))
            ],
        )
    span = (365 * 24 * 3600) / calls
    for first in range(0, calls, BATCH):
        rows, intakes, scores = [], [], []
        for n in range(first, min(first + BATCH, calls)):
            created = START + timedelta(seconds=n * span)
            kind = rng.random()
            answered = kind < 0.8
            queued = kind < 0.95
            wait = rng.randint(1, 60)
            case_id = n // case_every + 1 if n % case_every == 0 and n // case_every < cases else None
            rows.append(
                {
                    "id": n + 1,
                    "call_sid": f"CB{n:010d}",
                    "direction": "inbound",
                    "status": "completed",
                    "service": SERVICES[n % len(SERVICES)],
                    "priority": 0,
                    "last_sequence": 0,
                    "created_at": created,
                    "queued_at": created if queued else None,
                    "answered_at": created + timedelta(seconds=wait) if answered else None,
                    "ended_at": created + timedelta(seconds=wait + rng.randint(30, 900)),
                    "outcome": "answered" if answered else ("abandoned" if queued else "closed-hours"),
                    "case_id": case_id,
                }
            )
            if case_id is not None and answered:
                intakes.append(
                    {
                        "call_id": n + 1,
                        "case_id": case_id,
                        "number": 1,
                        "call_type": "content",
                        "risk": "none",
                        "outcome": "resolved" if n % 3 else "referred",
                        "data": {},
                        "current": True,
                        "created_at": created,
                    }
                )
                scores.append({"call_id": n + 1, "score": 1 + n % 5, "created_at": created})
        session.execute(insert(Call), rows)
        if intakes:
            session.execute(insert(IntakeVersion), intakes)
            session.execute(insert(CallSatisfaction), scores)
        session.commit()
        print(f"\rseeded {min(first + BATCH, calls):,} calls", end="", flush=True)
    print()


def timed(function, repeat: int = 3) -> tuple[float, object]:  # noqa: ANN001
    """Return the best wall time of `repeat` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> int:
    """Seed, then time the month summary against count(*)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix='hotline-bench-')}/bench.sqlite3"
    from config import normalise_database_url

    app = build_app(normalise_database_url(url))
    from hotline.extensions import db
    from hotline.reports.services import summary, utc_range
    from hotline.telephony.models import Call

    with app.app_context():
        started = time.perf_counter()
        seed(db.session, args.calls)
        print(f"seeding took {time.perf_counter() - started:.1f} s on {db.engine.dialect.name}")
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        else:
            db.session.execute(text("ANALYZE"))
        start, end = utc_range(*MONTH)
        month_rows = select(func.count()).select_from(Call).where(Call.created_at >= start, Call.created_at < end)
        baseline, rows = timed(lambda: db.session.scalar(month_rows))
        measured, result = timed(lambda: summary(db.session, *MONTH))
        total = db.session.scalar(select(func.count()).select_from(Call))
        print(f"calls in the database: {total:,}; in {MONTH[0]:%Y-%m}: {rows:,}")
        print(f"count(*) over the month's rows: {baseline * 1000:.1f} ms")
        print(f"month summary (totals, by_day, by_service, by_area): {measured * 1000:.1f} ms")
        print(f"ratio: {measured / baseline:.1f}x   (calls offered {result['calls_offered']:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
