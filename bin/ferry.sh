#!/usr/bin/env bash
# The `ferry` command (npm link / npx ferry): runs the CLI on the project's Node 24.
# scripts/ferry.sh works from the project root; the CLI resolves the user's paths (--json) against this.
export FERRY_CALLER_CWD="$PWD"
exec bash "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/ferry.sh" run "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../cli/main.ts" "$@"
