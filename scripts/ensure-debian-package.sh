#!/usr/bin/env bash
# Usage: ensure-debian-package.sh BINARY WHY PACKAGE...
# Installs Debian's PACKAGEs when BINARY is missing, as root or through sudo; WHY says which
# tests need it. Used by ensure-chromium.sh and ensure-pgbouncer.sh.
set -euo pipefail
binary=$1 why=$2
shift 2
if [ -x "$binary" ]; then
  exit 0
fi
echo "Installing $* from Debian's packages ($why need $binary)..."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "error: $binary is missing and this user cannot install it; run: apt-get install $*" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
