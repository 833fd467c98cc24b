#!/usr/bin/env bash
# Sourced by scripts/test (and the load and fault tests): a throwaway Redis from Debian's package on
# a private socket. Sets CLSS_TEST_REDIS and CLSS_REDIS_CONF (to restart it); stops it on exit.
set -e
if ! command -v redis-server >/dev/null; then
  echo "==> 安装 redis-server（Debian 软件包）"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi
REDIS_DIR=$(mktemp -d /tmp/clss-redis.XXXXXX)
cat > "$REDIS_DIR/redis.conf" <<CONF
port 0
unixsocket $REDIS_DIR/redis.sock
unixsocketperm 700
dir $REDIS_DIR
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
daemonize yes
save ""
appendonly no
CONF
redis-server "$REDIS_DIR/redis.conf"
for _ in $(seq 50); do [ -S "$REDIS_DIR/redis.sock" ] && break; sleep 0.1; done
stop_redis() { kill "$(cat "$REDIS_DIR/redis.pid" 2>/dev/null)" 2>/dev/null || true; sleep 0.2; rm -rf "$REDIS_DIR"; }
CLSS_CLEANUP+=(stop_redis)
trap 'for f in "${CLSS_CLEANUP[@]}"; do $f; done' EXIT
export CLSS_TEST_REDIS="unix://$REDIS_DIR/redis.sock"
export CLSS_REDIS_CONF="$REDIS_DIR/redis.conf"
echo "==> Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) 已启动（$REDIS_DIR）"
set +e
