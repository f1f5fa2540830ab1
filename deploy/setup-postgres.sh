#!/bin/sh
# One-shot: create Temporal's two PostgreSQL databases and bring their schemas up to
# the version of this admin-tools image. Runs in temporalio/admin-tools before the
# server starts; every step is safe to repeat on an existing database.
set -eu

: "${POSTGRES_SEEDS:=postgresql}"
: "${DB_PORT:=5432}"
: "${POSTGRES_USER:=temporal}"
export SQL_PASSWORD="${SQL_PASSWORD:-${POSTGRES_PWD:-temporal}}"
SCHEMA=/etc/temporal/schema/postgresql/v12

echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT}"
until nc -z "$POSTGRES_SEEDS" "$DB_PORT"; do sleep 1; done

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

for db in temporal temporal_visibility; do
  kind=$([ "$db" = temporal ] && echo temporal || echo visibility)
  sql --db "$db" create
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$SCHEMA/$kind/versioned"
done
echo "PostgreSQL schemas are ready"
