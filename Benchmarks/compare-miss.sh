#!/usr/bin/env bash
# Benchmarks/compare-miss.sh OLD_BIN NEW_BIN: two Larder binaries on the S5 miss load, interleaved.
#
# One nginx origin (CPU $LOAD_CPU) serving every /miss/ANYTHING as a cacheable 1 KiB body; both Larders on
# the proxy core with their own 4 GiB stores; `wrk -t1 -c$CONNECTIONS -s miss.lua` against the origin
# directly, then each binary, in rounds whose order rotates (bench_round_order). Prints req/s, p99 and
# CPU busy per run. The origin rounds' proxy-core CPU is the check that no store writer lags behind
# (it should be near 0%). Run it twice with the binaries swapped, and once with the same binary twice,
# to see how much this machine's noise and order alone move the ratio.
#
# Environment: RUNS (3), DURATION (10s), WARMUP (3s), CONNECTIONS (64), PROXY_CPU/LOAD_CPU (0/1).
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 OLD_LARDER_BINARY NEW_LARDER_BINARY" >&2; exit 2; }
OLD=$1 NEW=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
for bin in "$OLD" "$NEW"; do [[ -x $bin ]] || die "not an executable: $bin"; done
bench_init
ensure_tools nginx:nginx wrk:wrk curl:curl
mkdir -p "$BENCH_TMP/www"
head -c 1024 /dev/urandom >"$BENCH_TMP/www/1k.bin"
read -r origin_port old_port new_port < <(free_ports 3)
nginx_origin_conf "$BENCH_TMP/origin" "$origin_port" "$BENCH_TMP/www"
start_nginx origin "$LOAD_CPU" "$BENCH_TMP/origin" "$origin_port"
ORIGIN_STATUS_URL="http://127.0.0.1:$origin_port/_status"
LARDER_BIN=$OLD start_larder old "$PROXY_CPU" "$BENCH_TMP/old" "$old_port" "http://127.0.0.1:$origin_port" \
    --cache-size 4GiB
LARDER_BIN=$NEW start_larder new "$PROXY_CPU" "$BENCH_TMP/new" "$new_port" "http://127.0.0.1:$origin_port" \
    --cache-size 4GiB
bench_reset
bench_target origin "origin direct" "http://127.0.0.1:$origin_port/miss/"
bench_target old "old: $OLD" "http://127.0.0.1:$old_port/miss/"
bench_target new "new: $NEW" "http://127.0.0.1:$new_port/miss/"
for id in old new; do
    verify_body "$id" "${BENCH_URL[$id]}check-$id" "$BENCH_TMP/www/1k.bin"
    curl -s -D - -o /dev/null "${BENCH_URL[$id]}check-$id" | grep -qi '^cache-status: larder; hit' \
        || die "$id did not store /miss/check-$id"
done
WRK_SCRIPT="$here/miss.lua" bench_measure_all "$LOAD_CPU" "$PROXY_CPU"
bench_table origin
bench_runs_detail "$PROXY_CPU" "$LOAD_CPU"
