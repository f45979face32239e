#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright; install it when it is missing.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  "$(dirname "$0")/ensure-debian-package.sh" /usr/bin/chromium "browser tests" chromium fonts-dejavu-core
  /usr/bin/chromium --version
fi
