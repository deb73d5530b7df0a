#!/usr/bin/env bash
# Installs what is missing, builds, and starts the gateway on the embedded default (no external
# server), in demo mode: it prints the URLs of the demo chat (/demo/) and the dashboard
# (/dashboard/) and serves them. Extra arguments go to the server, after --demo, e.g.
#   scripts/run.sh --port 9000 --echo
#   scripts/run.sh --demo=false        the server as packaged: no demo pages, no token endpoint
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release switchboard
exec build/release/app/switchboard --demo "$@"
