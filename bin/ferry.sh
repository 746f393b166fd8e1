#!/usr/bin/env bash
# The `ferry` command (npm link / npx ferry): runs the CLI on the project's Node 24.
exec bash "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/ferry.sh" run "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../cli/main.ts" "$@"
