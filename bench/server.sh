#!/bin/bash
# The servers of a bench run, all on 127.0.0.1, state in DIR:
#   bench/server.sh redis DIR PORT         a private redis-server (no persistence)
#   bench/server.sh start DIR PORT RPORT   dragomand on PORT with Redis on RPORT
#   bench/server.sh restart DIR            SIGTERM, wait, start again (the reconnect storm)
#   bench/server.sh halt DIR               stop dragomand only
#   bench/server.sh node DIR PORT          the ws transport ceiling (bench/ceiling/ws-server.mjs)
#   bench/server.sh stop DIR               everything it started
# Each waits (bounded) until its server answers. DRAGOMAND overrides bin/dragomand
# (it runs from that tree, for its config/); DRAGOMAND_ARGS adds settings;
# LOGLEVEL sets dragomand's --log-level (warn unless given).
set -eu
cmd=$1 dir=$2
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"

. "$root/bench/ports.sh"

# A process that has exited but is not yet reaped (a zombie: its parent was
# this script's subshell, so init reaps it, here up to 1.5 s later) holds
# nothing any more and counts as stopped.
running() { # pid
    kill -0 "$1" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]
}

stop_pid() { # pid file
    [ -f "$1" ] || return 0
    pid=$(cat "$1"); rm -f "$1"
    kill -TERM "$pid" 2>/dev/null || return 0
    i=0
    while running "$pid"; do
        i=$((i + 1)); [ "$i" -gt 400 ] && { kill -KILL "$pid" 2>/dev/null; break; }
        sleep 0.05
    done
}

start_dragomand() {
    . "$dir/dragomand.env"
    bin=$(cd "$root" && realpath "${DRAGOMAND:-bin/dragomand}")
    cd "$(dirname "$bin")/.." # its config/ and src/web
    ulimit -n "$(ulimit -Hn)"
    "$bin" ${DRAGOMAND_ARGS:-} --listen "127.0.0.1:$PORT" --redis "redis://127.0.0.1:$RPORT" --data-dir "$dir/var" \
        --log-level ${LOGLEVEL:-warn} >> "$dir/dragomand.log" 2>&1 &
    echo $! > "$dir/dragomand.pid"
    wait_port "$PORT" 20
}

case $cmd in
redis)
    redis-server --port "$3" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir "$dir" \
        --logfile "$dir/redis-$3.log" &
    echo $! > "$dir/redis-$3.pid"
    wait_port "$3" 10 ;;
start)
    printf 'PORT=%s\nRPORT=%s\n' "$3" "$4" > "$dir/dragomand.env"
    start_dragomand ;;
restart)
    stop_pid "$dir/dragomand.pid"
    start_dragomand ;;
halt)
    stop_pid "$dir/dragomand.pid" ;;
node)
    cd "$root/bench"
    ulimit -n "$(ulimit -Hn)"
    node ceiling/ws-server.mjs "$3" 3 "$dir/node.pid" >> "$dir/node.log" 2>&1 &
    wait_port "$3" 20 ;;
stop)
    for f in "$dir"/*.pid; do stop_pid "$f"; done ;;
*)
    echo "usage: bench/server.sh redis|start|restart|halt|node|stop DIR ..." >&2; exit 2 ;;
esac
