#!/usr/bin/env bash
# CI smoke of the load generator against `switchboard --broadcast`: a few hundred
# subscribers, two seconds of fan-out over two workers, asserting integrity only (every
# message to every subscriber exactly once, in order). Never a speed threshold.
#
# usage: bench/smoke.sh LOADGEN SWITCHBOARD
set -euo pipefail

loadgen=${1:?usage: smoke.sh LOADGEN SWITCHBOARD}
switchboard=${2:?usage: smoke.sh LOADGEN SWITCHBOARD}
python=/usr/bin/python3

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$switchboard" --broadcast --workers 2 --port "$port" --bind-address 127.0.0.1 \
  --log-level warn --drain-period 0 &
server=$!
cleanup() {
  kill -TERM "$server" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$server" 2>/dev/null || true
}
trap cleanup EXIT

up=0
for _ in $(seq 100); do  # at most 10 s
  if "$python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then
    up=1; break
  fi
  kill -0 "$server" 2>/dev/null || { echo "smoke: switchboard exited early" >&2; exit 1; }
  sleep 0.1
done
[ "$up" = 1 ] || { echo "smoke: switchboard did not answer /health within 10 s" >&2; exit 1; }

report=$("$loadgen" fanout --port "$port" --connections 300 --duration 2 --window 16 \
  --connect-timeout 20 --drain-timeout 5) || status=$?
echo "$report"
echo "$report" | "$python" -c '
import json, sys
r = json.load(sys.stdin)
i = r["integrity"]
problems = []
if r["connect"]["failed"]: problems.append("%d connections failed" % r["connect"]["failed"])
if r["subscribers"] != 300: problems.append("%d subscribers, expected 300" % r["subscribers"])
if r["completed"] == 0: problems.append("no publish completed")
for key in ("lost", "duplicated", "reordered", "undelivered", "bad_payloads", "disconnected"):
    if i[key]: problems.append("%s: %d" % (key, i[key]))
if r["stalled"]: problems.append("stalled")
if problems:
    sys.exit("smoke: integrity failure: " + "; ".join(problems))
print("smoke: ok, %d publishes to %d subscribers, every delivery exactly once and in order"
      % (r["completed"], r["subscribers"]))
'
exit "${status:-0}"
