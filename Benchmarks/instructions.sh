#!/usr/bin/env bash
# Benchmarks/instructions.sh: user-space instructions per request of a Larder hit, counted by callgrind.
#
# Instruction counts do not move with a busy or throttled machine, unlike req/s: this is how a change to
# the request path is measured when the cores are shared. Larder runs under `valgrind --tool=callgrind`
# (its debug info stripped into a copy: valgrind 3.19 cannot read Swift 6's DWARF 5) in front of the
# harness's nginx origin; after a warm-up the counters are zeroed, a fixed wrk load runs, the counters
# are dumped, and the total is divided by the requests wrk completed. The counts include NIO, the
# runtime and libc, not the kernel.
#
#   Benchmarks/instructions.sh                      # /cached/1k.bin and /cached/100k.bin
#   PATHS="/cached/1k.bin" LARDER_BIN=... Benchmarks/instructions.sh
#   PATHS="/miss/" Benchmarks/instructions.sh        # a path ending in / is the miss path (S5): every request
#                                                   # a new URL under it (miss.lua), store writer included
# Knobs: PATHS, SECONDS_PER_PATH (20), CONNECTIONS (8), LARDER_BIN (skip the build), KEEP_TMP=1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=Benchmarks/lib.sh
source "$here/lib.sh"

PATHS=${PATHS:-"/cached/1k.bin /cached/100k.bin"}
SECONDS_PER_PATH=${SECONDS_PER_PATH:-20}
CONNECTIONS=${CONNECTIONS:-8}

ensure_tools valgrind:valgrind nginx:nginx wrk:wrk curl:curl taskset:util-linux
bench_init
build_larder "$repo"

mkdir -p "$BENCH_TMP/www"
head -c 1024 /dev/urandom >"$BENCH_TMP/www/1k.bin"
head -c 102400 /dev/urandom >"$BENCH_TMP/www/100k.bin"
read -r origin_port larder_port < <(free_ports 2)
nginx_origin_conf "$BENCH_TMP/origin" "$origin_port" "$BENCH_TMP/www"
start_nginx origin "$LOAD_CPU" "$BENCH_TMP/origin" "$origin_port"

strip --strip-debug -o "$BENCH_TMP/larder" "$LARDER_BIN"
larder_conf "$BENCH_TMP/larder.yaml"
start_bg "$PROXY_CPU" "$BENCH_TMP/valgrind.log" valgrind --tool=callgrind \
    --callgrind-out-file="$BENCH_TMP/callgrind.out" "$BENCH_TMP/larder" serve --config "$BENCH_TMP/larder.yaml" \
    --mode reverse --listen "127.0.0.1:$larder_port" --upstream "http://127.0.0.1:$origin_port" --admin off \
    --cache-dir "$BENCH_TMP/cache"
larder_pid=$BENCH_LAST_PID
for _ in $(seq 600); do
    curl -s -o /dev/null "http://127.0.0.1:$larder_port/cached/1k.bin" && break
    sleep 0.1
done

printf '| path | instructions per request | requests counted |\n|---|---:|---:|\n'
dump=0
for path in $PATHS; do
    url="http://127.0.0.1:$larder_port$path"
    script=()
    if [[ $path == */ ]]; then
        # The miss path: warm it with URLs of its own, then count with new ones.
        timeout 60 taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d3s -s "$here/miss.lua" "$url" -- "warm-$$-$dump" \
            >/dev/null
        script=(-s "$here/miss.lua" "$url" -- "count-$$-$dump")
    else
        for _ in $(seq 20); do curl -s -o /dev/null "$url"; done  # stored, and the hit path warm
        script=("$url")
    fi
    callgrind_control -z "$larder_pid" >/dev/null
    timeout $((SECONDS_PER_PATH + 30)) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_PATH}s" \
        "${script[@]}" >"$BENCH_TMP/wrk.out"
    callgrind_control -d "$larder_pid" >/dev/null
    dump=$((dump + 1))
    requests=$(awk '/requests in/ {print $1}' "$BENCH_TMP/wrk.out")
    total=$(callgrind_annotate "$BENCH_TMP/callgrind.out.$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    printf '| %s | %d | %d |\n' "$path" $((total / requests)) "$requests"
done
