# Sourced by bench/run.sh, bench/server.sh, bench/callgrind.sh and
# bench/script-costs.sh: free ports, waits for them, and a script's state.
# A free port on 127.0.0.1 below the ephemeral range (the load generator's
# 20,000 client sockets use that range).
free_port() {
    for _ in $(seq 200); do
        p=$((10000 + RANDOM % 9000))
        (: < "/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    echo "$(basename "$0"): no free port" >&2; exit 1
}

# Waits (at most SECONDS) until something listens on 127.0.0.1:PORT.
wait_port() { # port, seconds
    i=0
    while ! (: < "/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
        i=$((i + 1)); [ "$i" -gt $(($2 * 20)) ] && { echo "$(basename "$0"): nothing on port $1" >&2; exit 1; }
        sleep 0.05
    done
}

# A temporary folder for a script's state ($state, from the mktemp template)
# and a list of the processes it starts ($pids): when the script exits, each
# gets SIGTERM and up to 60 s to end before SIGKILL, and the folder goes.
bench_state() { # template
    state=$(mktemp -d "$1")
    pids=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do timeout 60 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$state"
}
