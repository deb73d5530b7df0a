#!/usr/bin/env bash
# Installs every Debian and npm package the build, the gateway and the tests need.
# Idempotent: packages already present are skipped, so a second run costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  libssl-dev zlib1g-dev libzstd-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libsimdjson-dev libjwt-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  python3 python3-websockets curl gnuplot-nox procps openssl util-linux
  libhiredis-dev redis-server
  librabbitmq-dev libnats-dev rabbitmq-server nats-server
  libpq-dev postgresql
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc  # the gRPC auth call-out
  chromium
  dpkg-dev file systemd  # the package tests: cpack's dpkg-shlibdeps, systemd-analyze verify
)
# Node.js: the machine may ship its own build (with npm inside); take Debian's only when absent.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # The postinsts of redis-server and rabbitmq-server start a system service where they can;
  # the tests start their own private servers (tests/support/*_server_process.*) and never
  # want one (a system RabbitMQ would also hold epmd's port 4369 and the name rabbit@host). A
  # policy-rc.d that answers 101 ("action forbidden") stops invoke-rc.d/deb-systemd-invoke from
  # starting it; one already present (containers ship one) is left as it is.
  policy=/usr/sbin/policy-rc.d; own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"; own_policy=1
  fi
  status=0
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  [ $own_policy -eq 0 ] || $SUDO rm -f "$policy"
  [ $status -eq 0 ] || exit $status
  # The policy stops services from starting, not from being enabled: on a systemd machine
  # the ones just installed would start at the next boot (rabbitmq-server through epmd.socket
  # too). Disable them, and stop any that a permissive policy let start. Services that were
  # installed before this run are the machine owner's and are left alone.
  if [ -d /run/systemd/system ]; then
    units=()
    for p in "${missing[@]}"; do
      case $p in
        redis-server | nats-server) units+=("$p") ;;
        postgresql) units+=(postgresql) ;;
        rabbitmq-server) units+=(rabbitmq-server epmd.socket epmd.service) ;;
      esac
    done
    [ ${#units[@]} -eq 0 ] || $SUDO systemctl disable --now --quiet "${units[@]}" || true
  fi
fi

# Node packages for interoperability tests and benchmark peers (lockfile pinned). A
# node_modules that is a link (a second work tree borrowing another's) is left alone: npm ci
# would empty the tree it points to.
if [ -f package.json ] && [ ! -L node_modules ] &&
   { [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; }; then
  npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
  touch node_modules
fi
