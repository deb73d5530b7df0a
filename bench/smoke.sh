#!/usr/bin/env bash
# CI smoke of the load generator, never a speed threshold. Four cases:
#   fanout (default): against `switchboard --broadcast`, a few hundred subscribers, two
#     seconds of fan-out over two workers, asserting integrity only (every message to every
#     subscriber exactly once, in order);
#   ingest: against the gateway on the memory engine with the server API on, one second of
#     pipelined POST /api/publish, asserting that publications were accepted and every answer
#     was a 2xx carrying its request's id; then half a second with a wrong API key, asserting
#     that the 401s are counted and fail the run (exit status 1);
#   shards: fanout from two load generator processes (shard 0 publishes, shard 1 only
#     listens), asserting integrity in both and that both report their deliveries over the
#     same window (each receives every publication: their rates agree within a factor 2; a
#     listener that divided by a longer window reported a fraction of its own);
#   socketio: the fanout case against the gateway with --socketio, its subscribers speaking
#     Socket.IO (--protocol switchboard-socketio: a JWT per connection, a subscribe, the
#     client publish), asserting the same integrity.
#
# usage: bench/smoke.sh LOADGEN SWITCHBOARD [fanout|ingest|shards|socketio]
set -euo pipefail

loadgen=${1:?usage: smoke.sh LOADGEN SWITCHBOARD [fanout|ingest|shards|socketio]}
switchboard=${2:?usage: smoke.sh LOADGEN SWITCHBOARD [fanout|ingest|shards|socketio]}
mode=${3:-fanout}
python=/usr/bin/python3

loadgen_flags=()
case "$mode" in
  fanout|shards) server_flags=(--broadcast) ;;
  socketio)
    # The loadgen's default secret and channel; rate limits above what the publisher sends.
    server_flags=(--socketio --jwt-secret bench-secret --public-channels bench --client-publish
                  --join-leave-events=false --client-rate 1000000 --client-burst 1000000
                  --user-rate 1000000 --user-burst 1000000)
    loadgen_flags=(--protocol switchboard-socketio) ;;
  ingest) server_flags=(--api-key smoke-key --history-size 100) ;;
  *) echo "smoke: unknown case $mode" >&2; exit 2 ;;
esac

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$switchboard" "${server_flags[@]}" --workers 2 --port "$port" --bind-address 127.0.0.1 \
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

if [ "$mode" = ingest ]; then
  report=$("$loadgen" ingest --port "$port" --connections 4 --depth 8 --duration 1 \
    --channels 4 --api-key smoke-key --server-pid "$server" --connect-timeout 5 \
    --drain-timeout 2) || status=$?
  echo "$report"
  echo "$report" | "$python" -c '
import json, sys
r = json.load(sys.stdin)
a = r["answers"]
problems = []
if r["connect"]["failed"]: problems.append("%d connections failed" % r["connect"]["failed"])
if r["accepted"] == 0: problems.append("nothing accepted")
for key in ("429", "503", "other"):
    if a[key]: problems.append("%d answers %s" % (a[key], key))
for key in ("mismatched", "unanswered", "disconnected"):
    if r[key]: problems.append("%s: %d" % (key, r[key]))
if r["server_cpu"]["seconds"] is None: problems.append("no server CPU")
if not r["ok"]: problems.append("not ok: %s" % r.get("first_error", ""))
if problems:
    sys.exit("smoke: ingest failure: " + "; ".join(problems))
print("smoke: ok, %d publications accepted, every answer a 2xx for its own request"
      % a["2xx"])
'
  [ "${status:-0}" = 0 ] || exit "$status"
  # A wrong key: every answer is a 401, which the run must count and fail on.
  wrong_status=0
  report=$("$loadgen" ingest --port "$port" --connections 2 --depth 4 --duration 0.5 \
    --api-key wrong-key --connect-timeout 5 --drain-timeout 2) || wrong_status=$?
  echo "$report"
  [ "$wrong_status" = 1 ] || { echo "smoke: a wrong key gave exit status $wrong_status, not 1" >&2; exit 1; }
  echo "$report" | "$python" -c '
import json, sys
r = json.load(sys.stdin)
if r["answers"]["other"] == 0 or r["answers"]["2xx"] or r["accepted"] or r["ok"]:
    sys.exit("smoke: the 401s of a wrong key were not counted as failures: %s" % r["answers"])
if not r.get("first_error", "").startswith("HTTP 401"):
    sys.exit("smoke: first_error does not name the 401: %r" % r.get("first_error"))
print("smoke: ok, %d answers 401 to a wrong key, counted, exit status 1" % r["answers"]["other"])
'
  exit 0
fi

if [ "$mode" = shards ]; then
  listener_out=$(mktemp)
  "$loadgen" fanout --port "$port" --connections 300 --duration 2 --window 16 --shard 1/2 \
    --source-addresses 127.0.0.2 --connect-timeout 20 --drain-timeout 5 >"$listener_out" &
  listener=$!
  publisher_report=$("$loadgen" fanout --port "$port" --connections 300 --duration 2 \
    --window 16 --shard 0/2 --connect-timeout 20 --drain-timeout 5) || status=$?
  wait "$listener" || status=$?
  listener_report=$(cat "$listener_out"); rm -f "$listener_out"
  echo "$publisher_report"; echo "$listener_report"
  printf '%s\n%s\n' "$publisher_report" "$listener_report" | "$python" -c '
import json, sys
p, l = (json.loads(line) for line in sys.stdin.read().split("\n") if line.strip())
problems = []
for name, r in (("publisher", p), ("listener", l)):
    if not r["integrity"]["ok"]: problems.append("%s: integrity %s" % (name, r["integrity"]))
    if r["stalled"]: problems.append(name + " stalled")
ratio = l["deliveries_per_second"] / max(p["deliveries_per_second"], 1)
if not 0.5 <= ratio <= 2: problems.append("listener/publisher deliveries/s %.2f" % ratio)
if problems:
    sys.exit("smoke: shards failure: " + "; ".join(problems))
print("smoke: ok, two shards, listener/publisher deliveries/s %.2f" % ratio)
'
  exit "${status:-0}"
fi

report=$("$loadgen" fanout "${loadgen_flags[@]}" --port "$port" --connections 300 --duration 2 \
  --window 16 --connect-timeout 20 --drain-timeout 5) || status=$?
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
