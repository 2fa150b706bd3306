#!/bin/sh
# Report benchmark: builds bench/report_bench.c against the plain library,
# starts an empty private redis-server, loads a year (200,000 sessions unless
# told otherwise) and times every report; then times the big ones through
# dragomand over HTTP, as a browser gets them. Prints figures, judges nothing.
#   sh bench/report_bench.sh [SESSIONS]        (from the repository root)
set -eu
make -s build/plain/libdragoman.a build/plain/dragomand build/plain/dragomanctl
PKGS="libevent libevent_pthreads hiredis libwebsockets libcjson libcrypto libcurl"
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror -Iinclude \
    bench/report_bench.c build/plain/libdragoman.a $(pkg-config --libs $PKGS) -lpthread -o build/plain/report_bench
dir=$(mktemp -d /tmp/dm-report-bench.XXXXXX)
redis-server --port 0 --unixsocket "$dir/redis.sock" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
trap '[ -f "$dir/dragomand.pid" ] && kill "$(cat "$dir/dragomand.pid")" 2>/dev/null; sleep 0.3
      kill "$(cat "$dir/redis.pid")" 2>/dev/null; rm -rf "$dir"' EXIT
i=0
while [ ! -S "$dir/redis.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "load: $(uptime)"
build/plain/report_bench "unix://$dir/redis.sock" "${1:-200000}"

# The exports and feedback of the year through dragomand: total time and time
# to the first byte, as curl sees them (the body is built whole, then sent).
redis="unix://$dir/redis.sock"
build/plain/dragomanctl --redis "$redis" put coordinator u-bench '{"name":"Bench"}' >/dev/null
tok=$(build/plain/dragomanctl --redis "$redis" token issue coordinator u-bench)
port=$((20000 + $$ % 10000))
build/plain/dragomand --redis "$redis" --listen "127.0.0.1:$port" --timezone Europe/Helsinki --notes_retention 36500 \
    --data_dir "$dir/data" --log_level warn >"$dir/dragomand.log" 2>&1 &
echo $! >"$dir/dragomand.pid"
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
for q in "sessions?from=2025-01-01&to=2025-12-31&format=csv" "sessions?from=2025-01-01&to=2025-12-31" \
    "requests?from=2025-01-01&to=2025-12-31&format=csv" "feedback?from=2025-01-01&to=2025-12-31" \
    "feedback?from=2025-01-01&to=2025-12-31&interpreter=i5" "sessions?from=2025-03-01&to=2025-03-31&format=csv"; do
    for n in 1 2; do
        curl -s -o /dev/null -H "Authorization: Bearer $tok" -w "http      %{http_code} %{size_download} bytes in %{time_total} s, first byte %{time_starttransfer} s  $q\n" \
            "http://127.0.0.1:$port/api/reports/$q"
    done
done
echo "load: $(uptime)"
