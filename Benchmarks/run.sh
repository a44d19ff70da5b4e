#!/usr/bin/env bash
# Benchmarks/run.sh: Larder against nginx on this machine, in the same run.
#
# Scenario "passthrough": 1 KiB responses proxied without caching.
#   origin        nginx serving a static 1 KiB file (Cache-Control: no-store)
#   nginx         nginx proxy_pass -> origin, keep-alive upstream, no cache
#   Larder        larder serve --mode reverse -> origin
# wrk hits each (the origin directly too, as a reference), and the medians and the
# Larder/nginx ratio go to stdout and into docs/benchmarks.md.
#
# Knobs (environment): DURATION (10s), RUNS (3), CONNECTIONS (64), WARMUP (3s),
# LARDER_BIN (skip the build, use this binary), PROXY_CPU (0), LOAD_CPU (1),
# KEEP_TMP=1 (keep configs, logs and raw wrk output).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=Benchmarks/lib.sh
source "$here/lib.sh"


DOC="$repo/docs/benchmarks.md"

# The intro written when docs/benchmarks.md does not exist yet.
write_intro() {
    cat >"$1" <<'EOF'
# Benchmarks

Larder measured against nginx (and later Varnish) on the same machine, in the same
run, by the harness in [`Benchmarks/`](../Benchmarks/README.md).

Run it with `make bench` or `Benchmarks/run.sh` from the repository root. Each
section below is rewritten by the run that produced it.

Absolute numbers on shared or virtual machines are noise: they move with
neighbours, CPU frequency and the kernel. What matters is the ratio between
Larder and the other proxy measured in the same run on the same machine.
EOF
}

scenario_passthrough() {
    local body="$BENCH_TMP/www/1k.bin" nginx_port bg_proxy bg_load
    mkdir -p "$BENCH_TMP/www"
    head -c 1024 /dev/urandom >"$body"

    read -r origin_port nginx_port larder_port < <(free_ports 3)

    # The origin shares the load core with wrk, so the proxy's core does proxy work only.
    nginx_origin_conf "$BENCH_TMP/origin" "$origin_port" "$BENCH_TMP/www"
    start_nginx origin "$LOAD_CPU" "$BENCH_TMP/origin" "$origin_port"

    nginx_proxy_conf "$BENCH_TMP/nginx-proxy" "$nginx_port" "$origin_port"
    start_nginx "nginx proxy_pass" "$PROXY_CPU" "$BENCH_TMP/nginx-proxy" "$nginx_port"

    start_larder Larder "$PROXY_CPU" "$BENCH_TMP/larder" "$larder_port" "http://127.0.0.1:$origin_port"

    bench_target origin "origin nginx, direct (reference)" "http://127.0.0.1:$origin_port/1k.bin"
    bench_target nginx "nginx proxy_pass" "http://127.0.0.1:$nginx_port/1k.bin"
    bench_target larder "Larder" "http://127.0.0.1:$larder_port/1k.bin"

    # A proxy that answers fast with an error would look great in req/s: check once
    # that every target returns exactly the file before timing anything.
    local id
    for id in "${BENCH_TARGETS[@]}"; do
        verify_body "${BENCH_NAME[$id]}" "${BENCH_URL[$id]}" "$body"
    done

    # Other work on the machine (builds, tests) skews everything; measure it for a
    # second before starting so a noisy result says so in the report.
    local idle_before background
    idle_before=$(cpu_times "$PROXY_CPU" "$LOAD_CPU")
    sleep 1
    background=$(cpu_busy "$idle_before" "$(cpu_times "$PROXY_CPU" "$LOAD_CPU")")
    read -r bg_proxy bg_load <<<"$background"
    if ((bg_proxy > 10 || bg_load > 10)); then
        log "warning: the machine is busy before the run (CPU $PROXY_CPU ${bg_proxy}%, CPU $LOAD_CPU ${bg_load}%); results will be noisy"
    fi

    bench_measure_all "$LOAD_CPU" "$PROXY_CPU"

    log_findings "origin nginx" "$BENCH_TMP/origin/error.log"
    log_findings "nginx proxy_pass" "$BENCH_TMP/nginx-proxy/error.log"
    log_findings Larder "$BENCH_TMP/larder/larder.log"

    local table errors command
    table=$(bench_table nginx)
    errors=$(bench_errors_total)
    command="DURATION=$DURATION RUNS=$RUNS CONNECTIONS=$CONNECTIONS Benchmarks/run.sh"
    [[ -n ${LARDER_BIN_GIVEN:-} ]] && command="LARDER_BIN=$LARDER_BIN_GIVEN $command"

    echo "$table"

    local section="$BENCH_TMP/passthrough.md"
    {
        echo "## Pass-through: 1 KiB responses, no caching"
        echo
        echo "Each proxy forwards \`GET /1k.bin\` to an nginx origin that serves a 1 KiB"
        echo "file with \`Cache-Control: no-store\`. nginx uses \`proxy_pass\` with a"
        echo "keep-alive upstream (\`keepalive 32\`, HTTP/1.1); Larder runs"
        echo "\`serve --mode reverse\`. Access logs are off on all servers. The proxy"
        echo "under test is pinned to CPU $PROXY_CPU; the origin and wrk share CPU $LOAD_CPU."
        echo
        echo "- Date: $(date -u +%Y-%m-%dT%H:%MZ)"
        echo "- Larder: $(larder_revision "$repo")"
        machine_facts
        echo "- Command: \`$command\`"
        echo "- Background load in the second before measuring (servers up, idle):"
        echo "  CPU $PROXY_CPU ${bg_proxy}% busy, CPU $LOAD_CPU ${bg_load}% busy"
        echo "- Load per run: \`taskset -c $LOAD_CPU wrk -t1 -c$CONNECTIONS -d$DURATION --latency URL\`;"
        echo "  one $WARMUP warm-up run per target, then $RUNS measured round(s) of one run per target,"
        echo "  interleaved (origin, nginx, Larder, origin, ...) so drift hits all targets alike."
        echo
        echo "$table"
        echo
        echo "Every run (CPU busy: the proxy's core / the origin+wrk core, from /proc/stat):"
        echo
        bench_runs_detail "$PROXY_CPU" "$LOAD_CPU"
        echo
        if ((errors > 0)); then
            echo "**$errors socket errors or non-2xx responses** over the measured runs (see above)."
        else
            echo "No socket errors or non-2xx responses in any measured run."
        fi
    } >"$section"

    local intro="$BENCH_TMP/intro.md"
    write_intro "$intro"
    update_doc_section "$DOC" passthrough "$section" "$intro"
    log "wrote the passthrough section of $DOC"
}

# Scenario "cached" (S1): the same 1 KiB file at /cached/1k.bin, which the origin marks
# `public, max-age=3600`, answered from cache by nginx proxy_cache and by Larder. Reuses the origin
# and the Larder instance of the pass-through scenario (origin_port, larder_port).
scenario_cached() {
    local body="$BENCH_TMP/www/1k.bin" cache_port id
    read -r cache_port < <(free_ports 1)
    nginx_cache_conf "$BENCH_TMP/nginx-cache" "$cache_port" "$origin_port"
    start_nginx "nginx proxy_cache" "$PROXY_CPU" "$BENCH_TMP/nginx-cache" "$cache_port"

    BENCH_TARGETS=()
    bench_target nginxcache "nginx proxy_cache (hit)" "http://127.0.0.1:$cache_port/cached/1k.bin"
    bench_target larderhit "Larder (hit)" "http://127.0.0.1:$larder_port/cached/1k.bin"
    # The first request fills each cache; checking twice makes the second a hit.
    for id in "${BENCH_TARGETS[@]}"; do
        verify_body "${BENCH_NAME[$id]}" "${BENCH_URL[$id]}" "$body"
        verify_body "${BENCH_NAME[$id]}" "${BENCH_URL[$id]}" "$body"
    done
    curl -s -D - -o /dev/null "http://127.0.0.1:$larder_port/cached/1k.bin" | grep -qi '^cache-status: larder; hit' ||
        die "Larder did not answer /cached/1k.bin from its cache"

    bench_measure_all "$LOAD_CPU" "$PROXY_CPU"
    log_findings "nginx proxy_cache" "$BENCH_TMP/nginx-cache/error.log"

    local table
    table=$(bench_table nginxcache)
    echo "$table"
    local section="$BENCH_TMP/cached.md"
    {
        echo "## S1: 1 KiB object answered from cache"
        echo
        echo "\`GET /cached/1k.bin\` (origin: \`Cache-Control: public, max-age=3600\`), every request a hit"
        echo "after the first. nginx: one process, \`proxy_cache\` with \`proxy_cache_lock on\`, keep-alive"
        echo "upstream, access log off. Larder: the reverse-mode instance of the pass-through scenario. Same"
        echo "pinning and wrk settings as above; Larder: $(larder_revision "$repo")."
        echo
        echo "$table"
        echo
        echo "Every run (CPU busy: the proxy's core / the origin+wrk core):"
        echo
        bench_runs_detail "$PROXY_CPU" "$LOAD_CPU"
    } >"$section"
    update_doc_section "$DOC" cached "$section" /dev/null
    log "wrote the cached section of $DOC"
}

main() {
    bench_init
    ensure_tools nginx:nginx wrk:wrk curl:curl taskset:util-linux python3:python3
    LARDER_BIN_GIVEN=${LARDER_BIN:-}
    build_larder "$repo"
    scenario_passthrough
    scenario_cached
}

main "$@"
