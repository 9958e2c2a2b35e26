#!/usr/bin/env bash
# Back up Hotline's PostgreSQL database, optionally prove the backup restores, prune old ones.
#
#   deploy/backup.sh [--verify] DBNAME
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD), default the
# local server as the current user (run as postgres, or give PGUSER a role that may dump).
# BACKUP_DIR (default /var/backups/hotline) receives DBNAME-YYYYmmdd-HHMMSS.dump (pg_dump's
# custom format) and its .sha256; dumps older than BACKUP_KEEP_DAYS (default 14) are removed.
# --verify restores the new dump into a scratch database DBNAME_restore_check, checks that it
# has the same tables and migration revision as the live one, and drops it.
# Personal data in the dump stays encrypted: keep FIELD_ENCRYPTION_KEY away from the backups.
set -euo pipefail

verify=false
if [ "${1:-}" = "--verify" ]; then verify=true; shift; fi
db="${1:?usage: backup.sh [--verify] DBNAME}"
dir="${BACKUP_DIR:-/var/backups/hotline}"
keep="${BACKUP_KEEP_DAYS:-14}"
stamp="$(date -u +%Y%m%d-%H%M%S)"
file="$dir/$db-$stamp.dump"

mkdir -p "$dir"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
umask 077
pg_dump --format=custom --compress=6 --file="$file.partial" "$db"
mv "$file.partial" "$file"
(cd "$dir" && sha256sum "$(basename "$file")" > "$(basename "$file").sha256")
echo "backup: $file ($(du -h "$file" | cut -f1))"

summary() {
  # The tables and the migration revision: what a restore must give back.
  psql -X -At -d "$1" -c "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'" \
    -c "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version"
}

if $verify; then
  scratch="${db}_restore_check"
  dropdb --if-exists "$scratch"
  createdb "$scratch"
  trap 'dropdb --if-exists "$scratch"' EXIT
  pg_restore --no-owner --exit-on-error --dbname="$scratch" "$file"
  if [ "$(summary "$db")" != "$(summary "$scratch")" ]; then
    echo "restore check FAILED: $file does not give back the tables and revision of $db" >&2
    exit 1
  fi
  echo "restore check: ok ($(psql -X -At -d "$scratch" -c "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") tables, revision $(psql -X -At -d "$scratch" -c "SELECT string_agg(version_num, ',') FROM alembic_version"))"
fi

find "$dir" -maxdepth 1 -name "$db-*.dump*" -mtime "+$keep" -delete
