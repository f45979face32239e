#!/usr/bin/env bash
# The connection-pooling tests run a private PgBouncer (tests/reliability); install Debian's
# package when it is missing. The tests start their own pgbouncer processes on free ports with
# their own configuration; the package's own service is stopped so that it holds no port.
set -euo pipefail
if [ -x /usr/sbin/pgbouncer ]; then
  exit 0
fi
echo "Installing PgBouncer from Debian's packages (the connection-pooling tests need /usr/sbin/pgbouncer)..."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "error: /usr/sbin/pgbouncer is missing and this user cannot install it; run: apt-get install pgbouncer" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null
# A package install may start its service on 6432; the tests need none of it.
$SUDO service pgbouncer stop >/dev/null 2>&1 || true
/usr/sbin/pgbouncer --version | head -1
