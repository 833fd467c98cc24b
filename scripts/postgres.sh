#!/usr/bin/env bash
# Sourced by scripts/test: a throwaway PostgreSQL server from Debian's packages, for the suite's
# second run. Sets CLSS_TEST_PG (a URL with {db} for the test database) and stops the server on exit.
set -e
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PG_BIN" ]; then
  echo "==> 安装 postgresql（Debian 软件包）"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
PG_DIR=$(mktemp -d /tmp/clss-pg.XXXXXX)
PG_PORT=${CLSS_PG_PORT:-55439}
AS=()
if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
  chown postgres "$PG_DIR"
  AS=(runuser -u postgres --)
fi
"${AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >"$PG_DIR/initdb.log" 2>&1
# A test server: durability off, so the suite's many small transactions stay fast.
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
stop_postgres() { "${AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; }
CLSS_CLEANUP+=(stop_postgres)
trap 'for f in "${CLSS_CLEANUP[@]}"; do $f; done' EXIT
export CLSS_TEST_PG="postgresql+psycopg://postgres@/{db}?host=$PG_DIR&port=$PG_PORT"
export CLSS_PG_CTL="${AS[*]} $PG_BIN/pg_ctl -D $PG_DIR/data -w"  # the fault test restarts it
echo "==> PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') 已启动（$PG_DIR）"
set +e
