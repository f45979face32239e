#!/usr/bin/env bash
# The connection-pooling tests run private PgBouncers (tests/pgbouncer.py) on free ports with
# their own configuration; install Debian's package when it is missing, and stop the service
# the package may start, so that it holds no port.
set -euo pipefail
if [ ! -x /usr/sbin/pgbouncer ]; then
  "$(dirname "$0")/ensure-debian-package.sh" /usr/sbin/pgbouncer "the connection-pooling tests" pgbouncer
  service pgbouncer stop >/dev/null 2>&1 || sudo service pgbouncer stop >/dev/null 2>&1 || true
  /usr/sbin/pgbouncer --version | head -1
fi
