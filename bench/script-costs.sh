#!/bin/bash
# What each Lua script costs Redis, in instructions per call, counted by
# callgrind instead of timed:
#   bench/script-costs.sh OUT_DIR
# Redis runs under valgrind --tool=callgrind --dump-before=evalShaCommand, so
# that every EVALSHA starts a dump of its own: dump k+1 holds the k-th call and
# whatever Redis did after it until the next one (its reply, a PUBLISH, now and
# then its clock, serverCron, which the median leaves out). The slow log, at
# threshold 0, names the calls in the same order. The load is
# bench/callgrind.sh's cycle, slower (SC_RATE requests/s, 2, from
# SC_INTERPRETERS interpreters, 300), since every dump is a file. Logging every
# command costs Redis about 2,000 instructions each, which the figures include.
# Writes OUT_DIR/script-costs.txt. DRAGOMAND=path counts another build.
# Loopback only; every wait is bounded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$1
RATE=${SC_RATE:-2} N=${SC_INTERPRETERS:-300} DURATION=${SC_DURATION:-60}
. bench/ports.sh
bench_state /tmp/dragoman-sc.XXXXXX
mkdir -p "$out" "$state/cg" "$state/var"
RPORT=$(free_port)
valgrind --tool=callgrind --dump-before=evalShaCommand --callgrind-out-file="$state/cg/redis.cg" \
    redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$state" > "$state/redis.log" 2>&1 &
pids+=($!)
wait_port "$RPORT" 60
redis-cli -p "$RPORT" CONFIG SET slowlog-max-len 2000000 > /dev/null
redis-cli -p "$RPORT" CONFIG SET slowlog-log-slower-than 0 > /dev/null
timeout 300 bench/loadgen seed --redis "redis://127.0.0.1:$RPORT" --interpreters "$N" --clinics 4 > "$state/seed.txt"
PORT=$(free_port)
"${DRAGOMAND:-bin/dragomand}" --listen "127.0.0.1:$PORT" --redis "redis://127.0.0.1:$RPORT" --data-dir "$state/var" \
    --heartbeat_grace 600 --log-level warn > "$state/dragomand.log" 2>&1 &
dpid=$!
pids+=($dpid)
wait_port "$PORT" 60
timeout $((DURATION + 200)) bench/loadgen run --port "$PORT" --interpreters "$N" --clinics 4 --rate "$RATE" \
    --accept 1 --decline 0 --delay 0-0 --session-ms 0 --ping 300 --duration "$DURATION" --warmup 3 \
    > "$state/loadgen.txt" 2>&1
kill -TERM "$dpid"
timeout 60 tail --pid="$dpid" -f /dev/null
redis-cli -p "$RPORT" --json SLOWLOG GET 2000000 > "$state/slowlog.json"
bench/loadgen scripts > "$state/names.txt"
node bench/script-costs.mjs "$state/slowlog.json" "$state/names.txt" "$state/cg" | tee "$out/script-costs.txt"
