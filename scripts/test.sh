#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the release build's whole suite (unit, conformance, interop, load, benchmark smoke);
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the worker and broadcast tests under ThreadSanitizer;
#   4. each libFuzzer target for a bounded time from its committed corpus.
# `scripts/test.sh --quick` runs stage 1 only.
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/install-deps.sh || exit 1
passed=0; failed=0; summary=()

# run_ctest <flavour> [--targets "a b"] <ctest args...>: builds the flavour (every target, or
# only the given ones), runs ctest, tallies the results.
run_ctest() {
  local flavour=$1; shift
  local targets=()
  if [ "${1:-}" = "--targets" ]; then read -r -a targets <<< "$2"; shift 2; fi
  echo "=== $flavour: build"
  if ! scripts/build.sh "$flavour" "${targets[@]}"; then
    failed=$((failed + 1)); summary+=("$flavour: BUILD FAILED"); return
  fi
  echo "=== $flavour: ctest $*"
  local log; log=$(mktemp)
  ctest --test-dir "build/$flavour" --output-on-failure --no-tests=error -j 2 "$@" 2>&1 | tee "$log"
  local line; line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    failed=$((failed + 1)); summary+=("$flavour: ctest did not finish")
  else
    local total fail
    total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
    fail=$(echo "$line" | sed -E 's/.*tests passed, ([0-9]+) tests failed.*/\1/')
    passed=$((passed + total - fail)); failed=$((failed + fail))
    summary+=("$flavour: $((total - fail)) passed, $fail failed")
  fi
  rm -f "$log"
}

run_ctest release
if [ $quick -eq 0 ]; then
  # Sanitizer runs exclude the load test (its memory bound is for release builds).
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest asan -LE 'load|smoke'
  # ThreadSanitizer covers the tests that run several threads: only their binaries are built.
  TSAN_OPTIONS=halt_on_error=1 run_ctest tsan \
    --targets "net_server_tests engine_memory_contract_tests node_callout_tests node_gateway_tests engine_rabbitmq_tests engine_rabbitmq_contract_tests engine_nats_tests engine_nats_contract_tests engine_relay_tests" -L threads
  echo "=== fuzz"
  if scripts/fuzz.sh "${SWITCHBOARD_FUZZ_SECONDS:-60}"; then
    passed=$((passed + 1)); summary+=("fuzz: passed")
  else
    failed=$((failed + 1)); summary+=("fuzz: FAILED")
  fi
fi

echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
