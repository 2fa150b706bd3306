#!/bin/bash
# What a dispatch cycle costs in instructions, counted by callgrind instead of
# timed, so that the figure is the same on a quiet machine and a noisy one.
#   bench/callgrind.sh OUT_DIR
# dragomand and Redis both run under valgrind --tool=callgrind. The load
# generator sends CG_RATE requests/s (10) from CG_INTERPRETERS interpreters
# (1,000) who all accept at once and end at once, the saturation scenario's
# cycle at a rate valgrind keeps up with. Both processes' counts are zeroed
# at the window's start and dumped at its end (CG_WINDOW s, 30), and the
# server's own count of dispatches in between divides them. Then dragomand
# stops, and the same Redis, emptied, runs the redis-benchmark ceiling
# (candidates.lua, offer.lua and accept.lua, CG_CALLS each, 1,000), counted
# the same way. Writes OUT_DIR/callgrind.json and OUT_DIR/callgrind.txt (the
# server's costliest functions). DRAGOMAND=path counts another build.
# Interpreters ping every CG_PING s (300), and the server's heartbeat grace is
# twice that. With the load generator's usual 20 s, 1,000 interpreters made
# five presence.lua calls a cycle at 10 cycles a second: background work that
# at saturation (10,000 interpreters, some 1,700 cycles a second) comes to a
# third of a call a cycle, as it does here at 300 s.
# Loopback only; every wait is bounded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$1
RATE=${CG_RATE:-10} N=${CG_INTERPRETERS:-1000} WINDOW=${CG_WINDOW:-30} CALLS=${CG_CALLS:-1000} PING=${CG_PING:-300}
. bench/ports.sh
bench_state /tmp/dragoman-cg.XXXXXX
cg() { # name, command...
    local name=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$state/$name.cg" "$@" > "$state/$name.log" 2>&1 &
    pids+=($!)
}
# The instructions a dump counted: callgrind writes them as "totals: N".
totals() { awk '/^totals:/{print $2}' "$1"; }
# Zeroes a callgrind process's counts, or dumps them to FILE.part; valgrind
# names the dumps .1, .2, ... in order.
zero() { callgrind_control -z "$1" > /dev/null; }
dump() { callgrind_control -d "$1" > /dev/null; }
dispatches() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^dragoman_dispatch_seconds_count/{print $2}'; }
# Redis's calls in a window, from INFO commandstats (zeroed by CONFIG
# RESETSTAT at its start): "SCRIPTS COMMANDS", the script calls and the
# commands the scripts ran. Those a client sends itself (PUBLISH, this
# script's own) are neither.
rstat_zero() { redis-cli -p "$RPORT" CONFIG RESETSTAT > /dev/null; }
rstat() { redis-cli -p "$RPORT" INFO commandstats | tr -d '\r' | awk -F'[:,=]' '/^cmdstat_/ {
    name = substr($1, 9)
    if (name == "evalsha" || name == "eval") s += $3
    else if (name !~ /^(publish|subscribe|select|ping|info|config)/) c += $3 }
    END { print s + 0, c + 0 }'; }

RPORT=$(free_port)
cg redis redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$state"
rpid=${pids[-1]}
wait_port "$RPORT" 60
timeout 300 bench/loadgen seed --redis "redis://127.0.0.1:$RPORT" --interpreters "$N" --clinics 4 > "$state/seed.txt"
PORT=$(free_port)
mkdir -p "$state/var"
cg dragomand "${DRAGOMAND:-bin/dragomand}" --listen "127.0.0.1:$PORT" --redis "redis://127.0.0.1:$RPORT" --data-dir "$state/var" \
    --heartbeat_grace $((2 * PING)) --log-level warn
dpid=${pids[-1]}
wait_port "$PORT" 60

timeout $((WINDOW + 200)) bench/loadgen run --port "$PORT" --interpreters "$N" --clinics 4 --rate "$RATE" \
    --accept 1 --decline 0 --delay 0-0 --session-ms 0 --ping "$PING" --duration $((WINDOW + 25)) --warmup 3 \
    > "$state/loadgen.txt" 2>&1 &
lpid=$!
sleep 15 # connected (a few seconds under valgrind) and past the warm-up
zero "$dpid"; zero "$rpid"; rstat_zero; d0=$(dispatches)
sleep "$WINDOW"
dump "$dpid"; dump "$rpid"; calls=$(rstat); d1=$(dispatches)
wait "$lpid" || true
cycles=$((d1 - d0))
server=$(totals "$state/dragomand.cg.1")
redis=$(totals "$state/redis.cg.1")

# The server's clock would otherwise run its scripts on the ceiling's data set.
kill -TERM "$dpid"
timeout 120 tail --pid="$dpid" -f /dev/null || { echo "callgrind.sh: dragomand did not stop" >&2; exit 1; }
redis-cli -p "$RPORT" FLUSHALL > /dev/null
timeout 900 bench/loadgen ceiling --redis "redis://127.0.0.1:$RPORT" --calls "$CALLS" \
    --before "callgrind_control -z $rpid > /dev/null; redis-cli -p $RPORT CONFIG RESETSTAT > /dev/null" \
    --after "callgrind_control -d $rpid > /dev/null" \
    > "$state/ceiling.txt"
ceiling=$(totals "$state/redis.cg.2")
kcalls=$(rstat)

read -r scripts commands <<< "$calls"
read -r kscripts kcommands <<< "$kcalls"
awk -v c="$cycles" -v s="$server" -v r="$redis" -v k="$ceiling" -v n="$CALLS" -v rate="$RATE" -v i="$N" \
    -v sc="$scripts" -v cm="$commands" -v ksc="$kscripts" -v kcm="$kcommands" 'BEGIN {
    printf "{\"interpreters\":%d,\"rate\":%d,\"cycles\":%d,\"server_ir_per_cycle\":%.0f,", i, rate, c, s / c
    printf "\"redis_ir_per_cycle\":%.0f,\"ceiling_calls\":%d,\"redis_ceiling_ir_per_cycle\":%.0f,", r / c, n, k / n
    printf "\"redis_scripts_per_cycle\":%.2f,\"redis_script_commands_per_cycle\":%.1f,", sc / c, cm / c
    printf "\"ceiling_scripts_per_cycle\":%.2f,\"ceiling_script_commands_per_cycle\":%.1f}\n", ksc / n, kcm / n }' \
    > "$out/callgrind.json"
callgrind_annotate --inclusive=no --threshold=100 --auto=no "$state/dragomand.cg.1" > "$state/annotate.txt"
{
    echo "callgrind: $N interpreters, $RATE requests/s, every offer accepted at once; $cycles dispatches in ${WINDOW} s"
    awk -v c="$cycles" -v s="$server" -v r="$redis" -v k="$ceiling" -v n="$CALLS" 'BEGIN {
        printf "  instructions per cycle: dragomand %.0f, Redis %.0f\n", s / c, r / c
        printf "  Redis ceiling (candidates + offer + accept, %d of each): %.0f instructions per cycle\n", n, k / n
        printf "  Redis per cycle / ceiling: %.2f\n", (r / c) / (k / n) }'
    awk -v c="$cycles" -v n="$CALLS" -v sc="$scripts" -v cm="$commands" -v ksc="$kscripts" -v kcm="$kcommands" 'BEGIN {
        printf "  Redis calls per cycle: %.2f scripts running %.1f commands; the ceiling %.2f running %.1f\n",
            sc / c, cm / c, ksc / n, kcm / n }'
    echo "dragomand's costliest functions in the window (instructions in each function's own code):"
    # The entry points (main, the threads' starts) are listed with all they
    # call; awk, not head, keeps the first 20, so no writer meets a closed pipe.
    sed -n '/file:function/,$p' "$state/annotate.txt" | awk '/^ *[0-9,]+ \( ?([0-9]|[1-4][0-9])\./ && n++ < 20'
} | tee "$out/callgrind.txt"
