#!/bin/sh
# Report benchmark: builds bench/report_bench.c against the plain library,
# starts an empty private redis-server, loads a year (200,000 sessions unless
# told otherwise) and times every report. Prints figures, judges nothing.
#   sh bench/report_bench.sh [SESSIONS]        (from the repository root)
set -eu
make -s build/plain/libdragoman.a
PKGS="libevent libevent_pthreads hiredis libwebsockets libcjson libcrypto"
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror -Iinclude \
    bench/report_bench.c build/plain/libdragoman.a $(pkg-config --libs $PKGS) -lpthread -o build/plain/report_bench
dir=$(mktemp -d /tmp/dm-report-bench.XXXXXX)
redis-server --port 0 --unixsocket "$dir/redis.sock" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
trap 'kill "$(cat "$dir/redis.pid")" 2>/dev/null; rm -rf "$dir"' EXIT
i=0
while [ ! -S "$dir/redis.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "load: $(uptime)"
build/plain/report_bench "unix://$dir/redis.sock" "${1:-200000}"
echo "load: $(uptime)"
