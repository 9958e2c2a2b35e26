"""deploy/backup.sh makes a dump that restores to the same tables and migration revision."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]


def test_backup_restores_into_a_scratch_database(app: Flask, tmp_path: Path) -> None:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("the backup script is for PostgreSQL (SQLite: copy the file with sqlite3 .backup)")
    env: dict[str, Any] = {**os.environ, "BACKUP_DIR": str(tmp_path), "BACKUP_KEEP_DAYS": "14"}
    env.update(PGHOST=url.host or "127.0.0.1", PGPORT=str(url.port or 5432), PGUSER=url.username or "postgres")
    if url.password:
        env["PGPASSWORD"] = url.password
    done = subprocess.run(
        [str(ROOT / "deploy" / "backup.sh"), "--verify", url.database],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "restore check: ok" in done.stdout
    dumps = list(tmp_path.glob(f"{url.database}-*.dump"))
    assert len(dumps) == 1 and dumps[0].stat().st_size > 0
    checksum = subprocess.run(["sha256sum", "-c", dumps[0].name + ".sha256"], cwd=tmp_path, capture_output=True)
    assert checksum.returncode == 0
