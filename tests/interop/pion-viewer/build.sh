#!/usr/bin/env bash
# Builds the pion viewer (tests/interop/pion-viewer) offline from Debian's Go packages, in GOPATH mode:
#   golang-go, golang-github-pion-webrtc.v3-dev, golang-github-gorilla-websocket-dev.
# Output: build/pion-viewer (build/ is ignored by git). Idempotent: Go's build cache (kept in build/) makes a rebuild
# without changes take about a second.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gocode=/usr/share/gocode
build="$here/build"
command -v go >/dev/null 2>&1 || { echo "pion-viewer: 'go' is missing (Debian package golang-go)" >&2; exit 1; }
[ -d "$gocode/src/github.com/pion/webrtc" ] || { echo "pion-viewer: pion is missing (Debian package golang-github-pion-webrtc.v3-dev)" >&2; exit 1; }
[ -d "$gocode/src/github.com/gorilla/websocket" ] || { echo "pion-viewer: gorilla/websocket is missing (Debian package golang-github-gorilla-websocket-dev)" >&2; exit 1; }

gopath="$build/gopath"
mkdir -p "$gopath/src/github.com/pion" "$gopath/src/sightline-pion-viewer"
# Debian keeps these modules in folders without their major version, while their import paths carry it (go.mod says
# /vN): in GOPATH mode each import path must be a folder, so link the versioned paths to Debian's folders.
for m in webrtc/v3 sdp/v3 transport/v2 udp/v2; do
  name="${m%/*}"
  mkdir -p "$gopath/src/github.com/pion/$name"
  ln -sfn "$gocode/src/github.com/pion/$name" "$gopath/src/github.com/pion/$m"
done
# The program itself, copied (GOPATH mode builds a package from a folder under src/).
rm -f "$gopath/src/sightline-pion-viewer/"*.go
cp "$here/"*.go "$gopath/src/sightline-pion-viewer/"
cd "$gopath/src/sightline-pion-viewer"
GO111MODULE=off GOPATH="$gopath:$gocode" GOCACHE="$build/cache" CGO_ENABLED=0 \
  go build -o "$build/pion-viewer" .
