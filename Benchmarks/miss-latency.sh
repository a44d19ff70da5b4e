#!/usr/bin/env bash
# Benchmarks/miss-latency.sh LARDER_BIN: the S5 miss load's latency distribution (p50, p90, p99) and req/s for
# nginx proxy_cache, Larder with its store on disk, Larder with its store on tmpfs (/dev/shm: no writeback to a
# disk) and Larder with the cache off, in rounds whose order rotates. It separates what the store's durable
# commits cost from what the event loop costs (docs/benchmarks.md, sixth pass).
#
# Environment: ROUNDS (4), DURATION (5s), WARMUP (3s), CONNECTIONS (64), PROXY_CPU/LOAD_CPU (0/1).
set -euo pipefail
BIN=${1:?usage: Benchmarks/miss-latency.sh LARDER_BIN}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
[[ -x $BIN ]] || die "not an executable: $BIN"
ROUNDS=${ROUNDS:-4} DURATION=${DURATION:-5s} CONNECTIONS=${CONNECTIONS:-64}
bench_init
ensure_tools nginx:nginx wrk:wrk curl:curl
shm=$(mktemp -d /dev/shm/larder-miss-latency.XXXXXX)
# bench_cleanup exits with the status it finds, so the tmpfs store goes first and the status is handed on.
trap 'status=$?; rm -rf "$shm"; (exit "$status"); bench_cleanup' EXIT
mkdir -p "$BENCH_TMP/www"
head -c 1024 /dev/urandom >"$BENCH_TMP/www/1k.bin"
read -r origin_port nginx_port disk_port shm_port off_port < <(free_ports 5)
nginx_origin_conf "$BENCH_TMP/origin" "$origin_port" "$BENCH_TMP/www"
start_nginx origin "$LOAD_CPU" "$BENCH_TMP/origin" "$origin_port"
nginx_cache_conf "$BENCH_TMP/nginx-cache" "$nginx_port" "$origin_port" 4g
start_nginx "nginx proxy_cache" "$PROXY_CPU" "$BENCH_TMP/nginx-cache" "$nginx_port"
upstream="http://127.0.0.1:$origin_port"
LARDER_BIN=$BIN start_larder "larder, store on disk" "$PROXY_CPU" "$BENCH_TMP/disk" "$disk_port" "$upstream" \
    --cache-size 4GiB
LARDER_BIN=$BIN start_larder "larder, store on tmpfs" "$PROXY_CPU" "$BENCH_TMP/shm" "$shm_port" "$upstream" \
    --cache-size 4GiB --cache-dir "$shm/cache"
mkdir -p "$BENCH_TMP/off"
printf 'log:\n  access: false\ncache:\n  enabled: false\n' >"$BENCH_TMP/off/larder.yaml"
taskset -c "$PROXY_CPU" "$BIN" serve --config "$BENCH_TMP/off/larder.yaml" --mode reverse \
    --listen "127.0.0.1:$off_port" --upstream "$upstream" --admin off >>"$BENCH_TMP/off/larder.log" 2>&1 &
BENCH_PIDS+=("$!")
wait_port "$off_port" "$!" "larder, cache off"

names=("nginx proxy_cache" "larder, store on disk" "larder, store on tmpfs" "larder, cache off")
ports=("$nginx_port" "$disk_port" "$shm_port" "$off_port")
# measure INDEX TOKEN [DURATION]: one wrk run on target INDEX; prints req/s and percentiles.
measure() {
    timeout 120 taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${3:-$DURATION}" --latency \
        -s "$here/miss.lua" "http://127.0.0.1:${ports[$1]}/miss/" -- "$2" |
        awk '/Requests\/sec/ {rps = $2} /^ +(50|90|99)%/ {p[$1] = $2}
             END {printf "req/s %s  p50 %s  p90 %s  p99 %s\n", rps, p["50%"], p["90%"], p["99%"]}'
}
for index in "${!names[@]}"; do
    log "warm-up: ${names[$index]} ($WARMUP)"
    measure "$index" "warm-$$" "$WARMUP" >/dev/null
done
for ((round = 1; round <= ROUNDS; round++)); do
    for ((step = 0; step < ${#names[@]}; step++)); do
        index=$(((step + round - 1) % ${#names[@]}))
        printf 'round %d  %-24s %s\n' "$round" "${names[$index]}" "$(measure "$index" "r$round-$$")"
    done
done
