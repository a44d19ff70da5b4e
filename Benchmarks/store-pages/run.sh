#!/usr/bin/env bash
# Benchmarks/store-pages/run.sh LARDER_BIN: the pages Larder's store writer writes per miss under the S5 load,
# by table and page kind, with the fdatasync calls and the threads' CPU per miss (docs/benchmarks.md, eighth
# pass). Larder runs with page-census.c preloaded (built here with cc), in front of an nginx origin answering
# every /miss/ANYTHING with a cacheable 1 KiB body; `wrk -t1 -c$CONNECTIONS -s miss.lua` after a warm-up.
#
# Environment: DURATION (10s), WARMUP (5s), CONNECTIONS (64), PROXY_CPU/LOAD_CPU (0/1).
set -euo pipefail
BIN=${1:?usage: Benchmarks/store-pages/run.sh LARDER_BIN}
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib.sh"
[[ -x $BIN ]] || die "not an executable: $BIN"
DURATION=${DURATION:-10s} WARMUP=${WARMUP:-5s} CONNECTIONS=${CONNECTIONS:-64}
bench_init
ensure_tools nginx:nginx wrk:wrk curl:curl cc:gcc
cc -O2 -Wall -shared -fPIC -o "$BENCH_TMP/page-census.so" "$here/store-pages/page-census.c" -ldl
mkdir -p "$BENCH_TMP/www"
head -c 1024 /dev/urandom >"$BENCH_TMP/www/1k.bin"
read -r origin_port larder_port < <(free_ports 2)
nginx_origin_conf "$BENCH_TMP/origin" "$origin_port" "$BENCH_TMP/www"
start_nginx origin "$LOAD_CPU" "$BENCH_TMP/origin" "$origin_port"
census=$BENCH_TMP/census
PAGE_CENSUS_FILE=$census LD_PRELOAD=$BENCH_TMP/page-census.so LARDER_BIN=$BIN start_larder larder "$PROXY_CPU" \
    "$BENCH_TMP/larder" "$larder_port" "http://127.0.0.1:$origin_port" --cache-size 4GiB
pid=$BENCH_LAST_PID
url="http://127.0.0.1:$larder_port/miss/"

# "cpu:THREAD ticks" per thread name, then "census:N count" per counter, sorted for join.
snapshot() {
    local task
    for task in /proc/"$pid"/task/*; do
        # utime and stime, counted from the end (a thread's name may hold spaces).
        printf '%s %s\n' "$(tr -c 'A-Za-z0-9#.\n-' _ <"$task/comm")" \
            "$(awk '{print $(NF - 38) + $(NF - 37)}' "$task/stat")"
    done | awk '{ticks[$1] += $2} END {for (name in ticks) print "cpu:" name, ticks[name]}'
    od -An -v -t u8 -w8 "$census" | awk '{printf "census:%02d %s\n", NR - 1, $1}'
}
wait_idle() {  # until the writer has caught up: the process uses no CPU for a second
    local before after
    for _ in $(seq 30); do
        before=$(awk '{print $14 + $15}' /proc/"$pid"/stat); sleep 1; after=$(awk '{print $14 + $15}' /proc/"$pid"/stat)
        [[ $before == "$after" ]] && return
    done
}

timeout 60 taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s "$here/miss.lua" "$url" -- "warm$$" >/dev/null
wait_idle
snapshot | sort >"$BENCH_TMP/before"
timeout 120 taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s "$here/miss.lua" "$url" -- "run$$" \
    >"$BENCH_TMP/wrk.txt"
wait_idle
snapshot | sort >"$BENCH_TMP/after"
requests=$(awk '/requests in/ {print $1}' "$BENCH_TMP/wrk.txt")
grep -E 'Requests/sec|Non-2xx|Socket errors' "$BENCH_TMP/wrk.txt" || true
join "$BENCH_TMP/before" "$BENCH_TMP/after" | awk -v requests="$requests" -v hz="$(getconf CLK_TCK)" '
    BEGIN {
        split("fdatasync calls|meta pages|overflow runs|leaf: variants|leaf: chunks|leaf: bodies, pending, free list|" \
            "leaf: lru|leaf: keys|leaf: other|branch: variants|branch: chunks|branch: bodies, pending, free list|" \
            "branch: lru|branch: keys|branch: other|other", names, "|")
    }
    {
        split($1, key, ":"); n = $3 - $2
        if (key[1] == "cpu" && n > 0) printf "CPU, %-31s %8.1f us per miss\n", key[2], n * 1e6 / hz / requests
        if (key[1] == "census" && n > 0) printf "%-36s %8.3f per miss\n", names[key[2] + 1], n / requests
        if (key[1] == "census" && key[2] + 0 > 0) pages += n
    }
    END { printf "%-36s %8.3f per miss (%.1f KiB)\n", "pages, all", pages / requests, pages * 4 / requests }'
