#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d): Temporal's two
# databases, owned by the superuser Temporal connects as, and Ferry's own database under its own role,
# so Ferry never touches Temporal's store.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v ferry_password="$FERRY_DB_PASSWORD" <<'SQL'
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
CREATE ROLE ferry LOGIN PASSWORD :'ferry_password';
CREATE DATABASE ferry OWNER ferry;
REVOKE ALL ON DATABASE ferry FROM PUBLIC;
SQL
