#!/usr/bin/env bash
# Installs what is missing, builds, and starts the gateway on the embedded default (no external
# server). Extra arguments go to the server, e.g. scripts/run.sh --port 9000 --echo
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release switchboard
exec build/release/app/switchboard "$@"
