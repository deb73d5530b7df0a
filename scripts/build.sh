#!/usr/bin/env bash
# Configures and builds one flavour of the tree into build/<flavour>.
#   scripts/build.sh release|asan|tsan|fuzz [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
# Warnings are errors here (and so in CI); the project's default leaves them warnings.
args=(-G Ninja -DSWITCHBOARD_WERROR=ON)
case "$flavour" in
  # Release is what packagers and users build (-O3, NDEBUG): the suite runs on exactly that.
  release) args+=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHBOARD_SANITIZE=address,undefined
               -DSWITCHBOARD_BENCH=OFF) ;;
  tsan) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHBOARD_SANITIZE=thread -DSWITCHBOARD_BENCH=OFF) ;;
  fuzz) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
               -DSWITCHBOARD_FUZZ=ON -DSWITCHBOARD_BENCH=OFF -DSWITCHBOARD_SANITIZE=address,undefined) ;;
  *) echo "unknown flavour: $flavour" >&2; exit 2 ;;
esac
dir=build/$flavour
# Configure when the directory is new or these arguments changed since it was configured.
if [ ! -f "$dir/build.ninja" ] || [ "$(cat "$dir/.build-args" 2>/dev/null)" != "${args[*]}" ]; then
  cmake -S . -B "$dir" "${args[@]}" >/dev/null
  echo "${args[*]}" > "$dir/.build-args"
fi
# Two cores: two jobs. ccache makes rebuilds cheap.
ninja -C "$dir" -j "${SWITCHBOARD_JOBS:-2}" "$@"
