#!/usr/bin/env bash
# Benchmarks/stream-rss.sh: one large body (default 4 GiB) streamed through Larder in reverse mode from an
# nginx origin; reports throughput and Larder's peak RSS (VmHWM), and writes them to docs/benchmarks.md.
#
# Knobs: SIZE_GIB (4), LARDER_BIN (skip the build), PROXY_CPU (0), LOAD_CPU (1), KEEP_TMP=1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=Benchmarks/lib.sh
source "$here/lib.sh"

SIZE_GIB=${SIZE_GIB:-4}
DOC="$repo/docs/benchmarks.md"

ensure_tools nginx:nginx curl:curl python3:python3 taskset:util-linux
bench_init
build_larder "$repo"

read -r origin_port larder_port < <(free_ports 2)
docroot="$BENCH_TMP/www"
mkdir -p "$docroot"
# A sparse file: the origin serves it from the page cache without touching the disk.
truncate -s "${SIZE_GIB}G" "$docroot/big.bin"

nginx_origin_conf "$BENCH_TMP/origin" "$origin_port" "$docroot"
start_nginx origin "$LOAD_CPU" "$BENCH_TMP/origin" "$origin_port"
start_larder larder "$PROXY_CPU" "$BENCH_TMP/larder" "$larder_port" "http://127.0.0.1:$origin_port"
larder_pid=$BENCH_LAST_PID

log "downloading ${SIZE_GIB} GiB through Larder"
start=$(date +%s.%N)
read -r bytes code < <(taskset -c "$LOAD_CPU" curl -sS --max-time 900 -o /dev/null \
    -w '%{size_download} %{http_code}\n' "http://127.0.0.1:$larder_port/big.bin")
end=$(date +%s.%N)
hwm_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$larder_pid/status")

expected=$((SIZE_GIB * 1024 * 1024 * 1024))
[[ $code == 200 && $bytes == "$expected" ]] || die "got status $code and $bytes bytes, expected 200 and $expected"
seconds=$(python3 -c "print(f'{$end - $start:.2f}')")
rate=$(python3 -c "print(f'{$expected / ($end - $start) / 1e9:.2f}')")
rss_mib=$(python3 -c "print(f'{$hwm_kib / 1024:.1f}')")
log "$bytes bytes in ${seconds}s (${rate} GB/s), Larder peak RSS ${rss_mib} MiB"

section="$BENCH_TMP/stream.md"
{
    echo "## Streaming: a ${SIZE_GIB} GiB body through Larder"
    echo
    echo "Larder (reverse mode, pinned to CPU $PROXY_CPU) streams a ${SIZE_GIB} GiB response from an nginx"
    echo "origin (\`Cache-Control: no-store\`, so nothing is stored) to curl (CPU $LOAD_CPU). The bound that"
    echo "matters is memory: backpressure in both directions keeps Larder's peak RSS flat however large the body."
    echo
    echo "- Date: $(date -u +%Y-%m-%dT%H:%MZ); Larder: $(larder_revision "$repo")"
    machine_facts
    echo "- Command: \`SIZE_GIB=$SIZE_GIB Benchmarks/stream-rss.sh\`"
    echo
    echo "| body | time s | GB/s | Larder peak RSS (VmHWM) |"
    echo "|---:|---:|---:|---:|"
    echo "| ${SIZE_GIB} GiB | $seconds | $rate | ${rss_mib} MiB |"
} >"$section"
cat "$section"
update_doc_section "$DOC" stream "$section" /dev/null
