#!/bin/sh
# Health check: the server accepts connections over TCP (not only on its socket during initdb).
# No pipeline and no subshell: a process of this check orphaned by docker's timeout must not be
# left to postgres (see `init: true` in docker-compose.scale.yml); one version is installed.
for bin in /usr/lib/postgresql/*/bin; do :; done
exec "$bin/pg_isready" -q -h 127.0.0.1 -p 5432 -U "${POSTGRES_USER:-postgres}" -d postgres
