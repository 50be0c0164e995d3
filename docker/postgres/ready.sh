#!/bin/sh
# Health check: the server accepts connections over TCP (not only on its socket during initdb).
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
exec "$bin/pg_isready" -q -h 127.0.0.1 -p 5432 -U "${POSTGRES_USER:-postgres}" -d postgres
