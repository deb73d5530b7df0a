#!/usr/bin/env bash
# Runs every libFuzzer target from its committed corpus for a bounded time (default 60 s each).
#   scripts/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
scripts/build.sh fuzz fuzz_message_reader fuzz_upgrade_request fuzz_envelope fuzz_jwt_verify fuzz_socketio
status=0
for target in message_reader upgrade_request envelope jwt_verify socketio; do
  corpus=tests/fuzz/corpus/$target
  work=$(mktemp -d)
  echo "fuzz: $target for ${seconds}s"
  # New inputs go to a scratch directory: the committed corpus only changes by hand.
  if ! build/fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$work/" "$work" "$corpus" > "$work/log" 2>&1; then
    echo "fuzz: $target FAILED"; tail -40 "$work/log"; status=1
  else
    grep -E 'stat::number_of_executed_units|Done' "$work/log" | tail -2
  fi
  rm -rf "$work"
done
exit $status
