#!/usr/bin/env bash
# Configures and builds one flavour of the tree into build/<flavour>.
#   scripts/build.sh release|asan|tsan|fuzz [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
case "$flavour" in
  release) ;;
  asan) args+=(-DSWITCHBOARD_SANITIZE=address,undefined -DSWITCHBOARD_BENCH=OFF) ;;
  tsan) args+=(-DSWITCHBOARD_SANITIZE=thread -DSWITCHBOARD_BENCH=OFF) ;;
  fuzz) args+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSWITCHBOARD_FUZZ=ON
               -DSWITCHBOARD_BENCH=OFF -DSWITCHBOARD_SANITIZE=address,undefined) ;;
  *) echo "unknown flavour: $flavour" >&2; exit 2 ;;
esac
dir=build/$flavour
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" "${args[@]}" >/dev/null
fi
# Two cores: two jobs. ccache makes rebuilds cheap.
ninja -C "$dir" -j "${SWITCHBOARD_JOBS:-2}" "$@"
