#!/usr/bin/env bash
# Benchmarks/run.sh: Larder against nginx, Varnish and Traffic Server on this machine, in the same run
# (issue 7).
#
#   passthrough  1 KiB responses proxied without caching: nginx proxy_pass vs Larder
#   hits         S1 1 KiB and S2 100 KiB cached objects (wrk), S6 peak RSS after them,
#                S3 a 256 MiB cached object downloaded again and again
#   miss         S5 every request a new URL: req/s relative to the origin's own
#   stampede     S4 200 clients, one cold key, an origin answering after 500 ms: fetches, wall time
#   restart      S7 fill, SIGTERM, start: is the first request a hit, how soon does the port serve
# Peers: nginx proxy_cache (proxy_cache_lock on, one worker), Varnish (built-in VCL, malloc storage)
# and Traffic Server (one event thread, read-while-writer collapsing, a cache file), from Debian
# packages; the script installs what is missing, starts every server on
# loopback ports, pins the proxy to PROXY_CPU and load + origins to LOAD_CPU, and stops what it
# started by PID. Medians and Larder/peer ratios go to stdout and into docs/benchmarks.md.
#
# Knobs (environment): DURATION (10s), RUNS (3), CONNECTIONS (64), WARMUP (3s),
# SCENARIOS ("passthrough hits miss stampede restart"), S4_CLIENTS (200), S4_DELAY (0.5),
# S7_OBJECTS (2048), S7_OBJECT_SIZE (1048576), LARDER_BIN (skip the build, use this binary),
# PROXY_CPU (0), LOAD_CPU (1), KEEP_TMP=1 (keep configs, logs and raw output).
# A quick smoke run: DURATION=3s WARMUP=1s RUNS=1 S7_OBJECTS=64 Benchmarks/run.sh
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

Larder measured against nginx (`proxy_cache`), Varnish and Apache Traffic Server on the same
machine, in the same run, by the harness in [`Benchmarks/`](../Benchmarks/README.md).

Run it with `make bench` (or `Benchmarks/run.sh`) from the repository root; a quick smoke run is
`make bench-smoke`. Each section below is rewritten by the run that produced it.

Absolute numbers on shared or virtual machines are noise: they move with
neighbours, CPU frequency and the kernel. What matters is the ratio between
Larder and the other proxies measured in the same run on the same machine.
EOF
}

# start_origin: the nginx origin every wrk scenario uses (origin_port), on the load core, serving
# $BENCH_TMP/www (1k.bin now; the hit scenarios add their files).
start_origin() {
    mkdir -p "$BENCH_TMP/www"
    head -c 1024 /dev/urandom >"$BENCH_TMP/www/1k.bin"
    read -r origin_port < <(free_ports 1)
    # The origin shares the load core with wrk, so the proxy's core does proxy work only.
    nginx_origin_conf "$BENCH_TMP/origin" "$origin_port" "$BENCH_TMP/www"
    start_nginx origin "$LOAD_CPU" "$BENCH_TMP/origin" "$origin_port"
}

scenario_passthrough() {
    local body="$BENCH_TMP/www/1k.bin" nginx_port larder_port bg_proxy bg_load nginx_pid larder_pid
    read -r nginx_port larder_port < <(free_ports 2)

    nginx_proxy_conf "$BENCH_TMP/nginx-proxy" "$nginx_port" "$origin_port"
    start_nginx "nginx proxy_pass" "$PROXY_CPU" "$BENCH_TMP/nginx-proxy" "$nginx_port"
    nginx_pid=$BENCH_LAST_PID

    start_larder Larder "$PROXY_CPU" "$BENCH_TMP/larder" "$larder_port" "http://127.0.0.1:$origin_port"
    larder_pid=$BENCH_LAST_PID
    bench_reset

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
    [[ -n ${LARDER_BIN_GIVEN:-} ]] && command="LARDER_BIN=… $command"

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
        echo "  interleaved, each round starting one target later (origin, nginx, Larder; nginx, Larder, origin; ...),"
        echo "  so drift and a target's position in the round hit all targets alike."
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
    # Free the proxy core for the next scenarios.
    stop_pid "$nginx_pid"
    stop_pid "$larder_pid"
}

# --- the side-by-side suite (issue 7): S1-S7 against nginx proxy_cache, Varnish and Traffic Server ---
#
# Every scenario starts fresh instances of the four caches on the proxy core, measures them
# interleaved, stops them by PID and writes its own section of docs/benchmarks.md; each also adds
# rows to $BENCH_TMP/summary.tsv, from which the summary section (ratios and targets) is written.
#   S1-S3, S6  nginx origin (static files, sendfile) on the load core; a 1 KiB, a 100 KiB and a
#              256 MiB file, cacheable; the reference "nginx static" serves the same files itself
#   S5         the same nginx origin: every /miss/ANY is the 1 KiB file, cacheable
#   S4, S7     Benchmarks/origin.py on the load core: /slow/ answers after 500 ms, every path counted

SUMMARY=""   # $BENCH_TMP/summary.tsv

# The caches Larder is compared with, in the order of the summary's columns.
PEERS=(nginx varnish ats)
declare -A PEER_NAME=([nginx]="nginx proxy_cache" [varnish]=Varnish [ats]="Traffic Server")

# summary_row SCENARIO MEASURE UNIT BETTER(high|low|text) TARGET MET LARDER PEER_VALUE...: one row of
# the summary, a value per peer in PEERS order. "Larder / best peer" divides by the best peer's figure
# (the highest, or the lowest when lower is better); for "low" measures above 1.0 means Larder is
# worse. MET "best" is decided here: at least as good as the best peer.
summary_row() {
    local IFS=$'\t'
    echo "$*" >>"$SUMMARY"
}

# medians COLUMN FORMAT [MULTIPLIER [DIVISOR]]: Larder's median of results COLUMN, then every peer's,
# times MULTIPLIER over DIVISOR, printf'd with FORMAT, space-separated: the values of a summary row.
medians() {
    local column=$1 format=$2 multiplier=${3:-1} divisor=${4:-1} id
    for id in larder "${PEERS[@]}"; do
        awk -v v="$(bench_median "$id" "$column")" -v m="$multiplier" -v d="$divisor" -v f="$format" \
            'BEGIN { printf f " ", v * m / d }'
    done
}

# start_cache_peers TAG UPSTREAM_PORT [LARDER_ARG...]: fresh instances of every peer and Larder on
# the proxy core, all pointing at 127.0.0.1:UPSTREAM_PORT, caches under $BENCH_TMP/TAG-*, sized by
# CACHE_GIB (2). Sets P_PORT[peer|larder] and P_PID[...].
declare -A P_PORT=() P_PID=()
start_cache_peers() {
    local tag=$1 upstream=$2 p
    shift 2
    for p in "${PEERS[@]}" larder; do read -r P_PORT[$p] < <(free_ports 1); done
    for p in "${PEERS[@]}"; do start_peer "$p" "$tag" "$upstream"; done
    start_larder "Larder ($tag)" "$PROXY_CPU" "$BENCH_TMP/$tag-larder" "${P_PORT[larder]}" \
        "http://127.0.0.1:$upstream" --cache-size "${CACHE_GIB:-2}GiB" "$@"
    P_PID[larder]=$BENCH_LAST_PID
}

# start_peer PEER TAG UPSTREAM_PORT: one peer on P_PORT[PEER] with its cache under $BENCH_TMP/TAG-PEER
# (an existing cache is kept: the restart scenario starts a peer again on what it left). Sets P_PID[PEER].
# NO_WAIT=1 returns without waiting for the port.
start_peer() {
    local p=$1 tag=$2 upstream=$3 dir="$BENCH_TMP/$2-$1" name="${PEER_NAME[$1]} ($2)"
    case $p in
    nginx)
        if [[ -f $dir/nginx.conf ]]; then
            # A restart: no `nginx -t` this time, as it binds and listens on the port for a moment (a client
            # polling for the restart would connect to it and be reset); the file passed it at the first start.
            start_bg "$PROXY_CPU" "$dir/stdout.log" "$NGINX_BIN" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log"
            log "$name: nginx, PID $BENCH_LAST_PID, on 127.0.0.1:${P_PORT[nginx]} (CPU $PROXY_CPU)"
            [[ ${NO_WAIT:-0} == 1 ]] || wait_port "${P_PORT[nginx]}" "$BENCH_LAST_PID" "$name"
        else
            nginx_cache_conf "$dir" "${P_PORT[nginx]}" "$upstream" "${CACHE_GIB:-2}g"
            start_nginx "$name" "$PROXY_CPU" "$dir" "${P_PORT[nginx]}"
        fi
        ;;
    varnish) start_varnish "$name" "$PROXY_CPU" "$dir" "${P_PORT[varnish]}" "$upstream" "malloc,${CACHE_GIB:-2}g" ;;
    ats) start_ats "$name" "$PROXY_CPU" "$dir" "${P_PORT[ats]}" "$upstream" "${CACHE_GIB:-2}" ;;
    esac
    P_PID[$p]=$BENCH_LAST_PID
}

# peer_log PEER TAG: the log file of PEER's instance in scenario TAG.
peer_log() {
    case $1 in
    nginx) echo "$BENCH_TMP/$2-nginx/error.log" ;;
    varnish) echo "$BENCH_TMP/$2-varnish/varnish.log" ;;
    ats) echo "$BENCH_TMP/$2-ats/log/diags.log" ;;
    larder) echo "$BENCH_TMP/$2-larder/larder.log" ;;
    esac
}

stop_cache_peers() {
    local tag=$1 p
    for p in "${PEERS[@]}" larder; do stop_pid "${P_PID[$p]}"; done
    for p in "${PEERS[@]}"; do log_findings "${PEER_NAME[$p]} ($tag)" "$(peer_log "$p" "$tag")"; done
    log_findings "Larder ($tag)" "$(peer_log larder "$tag")"
}

# target_peers PATH: registers every peer and Larder as targets for PATH, after any reference target.
target_peers() {
    local p
    for p in "${PEERS[@]}"; do bench_target "$p" "${PEER_NAME[$p]}" "http://127.0.0.1:${P_PORT[$p]}$1"; done
    bench_target larder "Larder" "http://127.0.0.1:${P_PORT[larder]}$1"
}

# fill_and_verify NAME URL FILE: the first request fills the cache, the second must be served the
# same bytes; then the origin must not see a third fetch (checked by the runs' origin column).
fill_and_verify() {
    verify_body "$1" "$2" "$3"
    verify_body "$1" "$2" "$3"
}

# s_wrk_figures ID: "REQ/S P99_MS MB/S ORIGIN_REQUESTS_MAX" medians (MB/s from req/s x body size).
s_wrk_figures() {
    local id=$1 bytes=$2
    echo "$(bench_median "$id" 1) $(bench_median "$id" 2) $(awk -v b="$bytes" -v r="$(bench_median "$id" 1)" \
        'BEGIN { printf "%.1f", r * b / 1e6 }') $(awk 'BEGIN { m = 0 } $6 > m { m = $6 } END { print m }' \
        "$BENCH_TMP/results/$id")"
}

# hit_table BODY_BYTES: the S1/S2 table, every target with req/s, p99, MB/s and ratios Larder / target.
hit_table() {
    local bytes=$1 id rps p99 mbs omax lrps lp99
    read -r lrps lp99 _ _ < <(s_wrk_figures larder "$bytes")
    echo "| target | req/s | p99 ms | MB/s | origin requests (max of runs) | Larder / target req/s | Larder / target p99 |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for id in "${BENCH_TARGETS[@]}"; do
        read -r rps p99 mbs omax < <(s_wrk_figures "$id" "$bytes")
        awk -v n="${BENCH_NAME[$id]}" -v r="$rps" -v p="$p99" -v m="$mbs" -v o="$omax" -v lr="$lrps" -v lp="$lp99" \
            'BEGIN { printf "| %s | %.0f | %.2f | %s | %s | %.2f | %.2f |\n", n, r, p, m, o, lr / r, lp / p }'
    done
}

scenario_hits() {
    local www="$BENCH_TMP/www" static_port static_pid
    head -c 102400 /dev/urandom >"$www/100k.bin"
    log "S3: writing a 256 MiB random file (random, so no store can deduplicate its chunks)"
    head -c $((256 * 1024 * 1024)) /dev/urandom >"$www/256m.bin"

    CACHE_GIB=2 start_cache_peers hits "$origin_port"
    read -r static_port < <(free_ports 1)
    nginx_static_conf "$BENCH_TMP/static" "$static_port" "$www"
    start_nginx "nginx static (reference)" "$PROXY_CPU" "$BENCH_TMP/static" "$static_port"
    static_pid=$BENCH_LAST_PID

    local size file bytes id section
    for size in 1k 100k; do
        file="$www/$size.bin"
        bytes=$(stat -c %s "$file")
        bench_reset
        bench_target static "nginx static file (reference)" "http://127.0.0.1:$static_port/cached/$size.bin"
        target_peers "/cached/$size.bin"
        for id in "${BENCH_TARGETS[@]}"; do
            fill_and_verify "${BENCH_NAME[$id]}" "${BENCH_URL[$id]}" "$file"
        done
        curl -s -D - -o /dev/null "${BENCH_URL[larder]}" | grep -qi '^cache-status: larder; hit' ||
            die "Larder did not answer ${BENCH_URL[larder]} from its cache"
        rm -f "$BENCH_TMP"/results/*
        bench_measure_all "$LOAD_CPU" "$PROXY_CPU"

        local scen=S1 title="1 KiB object answered from cache"
        [[ $size == 100k ]] && scen=S2 title="100 KiB object answered from cache"
        section="$BENCH_TMP/$scen.md"
        {
            echo "## $scen: $title"
            echo
            echo "\`GET /cached/$size.bin\` ($bytes random bytes; origin: \`Cache-Control: public, max-age=3600\`),"
            echo "every measured request a hit (the origin column counts requests that reached the origin during"
            echo "each run; it must be 0). \`wrk -t1 -c$CONNECTIONS -d$DURATION --latency\` on CPU $LOAD_CPU, the proxy"
            echo "on CPU $PROXY_CPU; $WARMUP warm-up per target, $RUNS interleaved round(s), medians."
            echo "\"nginx static file\" is nginx serving the same file from its own docroot on the proxy core:"
            echo "what one core does with no cache logic at all. Date: $(date -u +%Y-%m-%dT%H:%MZ)."
            echo
            hit_table "$bytes"
            echo
            echo "Every run (CPU busy: the proxy's core / the origin+wrk core):"
            echo
            bench_runs_detail "$PROXY_CPU" "$LOAD_CPU"
        } >"$section"
        cat "$section" >&2
        cp -r "$BENCH_TMP/results" "$BENCH_TMP/results-$scen"
        _summary_wrk "$scen" "$bytes"
    done

    # S6: the peak RSS of each proxy so far, i.e. during S1 and S2 (before S3's 256 MiB object).
    local p max sum count
    : >"$BENCH_TMP/s6.txt"
    for p in "${PEERS[@]}" larder; do
        read -r max sum count < <(tree_hwm "${P_PID[$p]}")
        echo "$p $max $sum $count" >>"$BENCH_TMP/s6.txt"
    done
    scenario_s6_report

    # S3: the 256 MiB object, downloaded again and again by one client.
    scenario_big "$static_port"

    stop_pid "$static_pid"
    stop_cache_peers hits
}

# _summary_wrk SCEN BYTES: summary rows from the medians of the last measured wrk scenario.
_summary_wrk() {
    local scen=$1 bytes=$2
    if [[ $scen == S1 ]]; then
        summary_row S1 "1 KiB hits" "req/s" high "≥ 1.0× best peer" best $(medians 1 %.0f)
    else
        summary_row S2 "100 KiB hits" "MB/s" high "≥ 1.0× best peer" best $(medians 1 %.0f "$bytes" 1e6)
    fi
    summary_row "$scen" "p99 latency" ms low "no worse than the best peer" best $(medians 2 %.2f)
}

scenario_s6_report() {
    local section="$BENCH_TMP/S6.md" id values=() best
    {
        echo "## S6: peak memory during S1 and S2"
        echo
        echo "VmHWM (peak resident set, from \`/proc/PID/status\`) of each cache's processes right after S2,"
        echo "before S3 (whose 256 MiB object would dominate). \"Serving process\": nginx's worker, Varnish's"
        echo "cache child, traffic_server, Larder itself. \"All processes\" adds nginx's master, cache manager"
        echo "and cache loader and Varnish's manager (an upper bound: shared pages count in each). Resident"
        echo "pages include file pages mapped by the process (Larder's LMDB map); nginx's cache is read through"
        echo "the page cache and sendfile, so it does not show here. Date: $(date -u +%Y-%m-%dT%H:%MZ)."
        echo
        echo "| cache | serving process MiB | all processes MiB | processes |"
        echo "|---|---:|---:|---:|"
        for id in "${PEERS[@]}" larder; do
            awk -v id="$id" -v n="${PEER_NAME[$id]:-Larder}" '$1 == id { printf "| %s | %.1f | %.1f | %d |\n", n, $2 / 1024, $3 / 1024, $4 }' \
                "$BENCH_TMP/s6.txt"
        done
    } >"$section"
    cat "$section" >&2
    # The comparison uses all processes: Larder is one process, nginx's cache needs its master, cache
    # manager and loader, Varnish its manager.
    for id in larder "${PEERS[@]}"; do
        values+=("$(awk -v id="$id" '$1 == id { printf "%.1f", $3 / 1024 }' "$BENCH_TMP/s6.txt")")
    done
    best=$(printf '%s\n' "${values[@]:1}" | sort -g | head -1)
    summary_row S6 "peak RSS, S1+S2, all processes" MiB low "≤ best peer + 10 MiB" \
        "$(awk -v l="${values[0]}" -v b="$best" 'BEGIN { print (l <= b + 10 ? "yes" : "no") }')" "${values[@]}"
}

# scenario_big STATIC_PORT: S3, client.py download (1 MiB reads) against each target for DURATION,
# after one warm-up download; RUNS interleaved rounds, median GB/s.
scenario_big() {
    local static_port=$1 file="$BENCH_TMP/www/256m.bin" seconds id round out before after
    seconds=$(to_seconds "$DURATION")
    bench_reset
    bench_target static "nginx static file (reference)" "http://127.0.0.1:$static_port/cached/256m.bin"
    target_peers /cached/256m.bin
    for id in "${BENCH_TARGETS[@]}"; do
        # Two checked downloads: the first fills the cache, the second must be a hit with the same bytes.
        fill_and_verify_big "${BENCH_NAME[$id]}" "${BENCH_URL[$id]}" "$file"
    done
    rm -f "$BENCH_TMP"/results/*
    for id in "${BENCH_TARGETS[@]}"; do
        run_download "$id" 2 >/dev/null
    done
    for ((round = 1; round <= RUNS; round++)); do
        for id in $(bench_round_order "$round"); do
            before=$(cpu_times "$PROXY_CPU" "$LOAD_CPU")
            local o_before o_after
            o_before=$(origin_requests)
            out=$(run_download "$id" "$seconds")
            o_after=$(origin_requests)
            after=$(cpu_times "$PROXY_CPU" "$LOAD_CPU")
            python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["gbps"], d["downloads"], d["failures"], end=" ")' \
                "$out" >>"$BENCH_TMP/results/$id"
            echo "$(cpu_busy "$before" "$after") $((o_after - o_before - 1))" >>"$BENCH_TMP/results/$id"
            log "S3 run $round/$RUNS ${BENCH_NAME[$id]}: $(tail -1 "$BENCH_TMP/results/$id") (GB/s, downloads, failures, CPU busy %, origin requests)"
        done
    done
    local section="$BENCH_TMP/S3.md" g base_l
    base_l=$(bench_median larder 1)
    {
        echo "## S3: a 256 MiB object downloaded again and again"
        echo
        echo "\`GET /cached/256m.bin\` (random bytes, so nothing deduplicates), one client on CPU $LOAD_CPU"
        echo "(\`Benchmarks/client.py download\`: keep-alive, \`recv_into\` a 1 MiB buffer; wrk reads 8 KiB at a"
        echo "time and would be the bottleneck) downloading it back to back for $DURATION per run; a 2 s warm-up per"
        echo "target; $RUNS interleaved round(s); median GB/s (10^9 bytes/s). nginx serves hits from its cache"
        echo "file with sendfile, Varnish from malloc storage, Traffic Server from its cache file (and RAM cache),"
        echo "Larder from its LMDB store. Date: $(date -u +%Y-%m-%dT%H:%MZ)."
        echo
        echo "| target | GB/s | Larder / target |"
        echo "|---|---:|---:|"
        for id in "${BENCH_TARGETS[@]}"; do
            g=$(bench_median "$id" 1)
            awk -v n="${BENCH_NAME[$id]}" -v g="$g" -v l="$base_l" 'BEGIN { printf "| %s | %.2f | %.2f |\n", n, g, l / g }'
        done
        echo
        echo "Every run: GB/s, downloads, failures, CPU busy % (proxy/load), origin requests:"
        echo
        for id in "${BENCH_TARGETS[@]}"; do
            echo "- ${BENCH_NAME[$id]}: $(awk '{ printf "%s%s GB/s %s dl %s failed %s/%s%% origin %s", sep, $1, $2, $3, $4, $5, $6; sep = "; " }' "$BENCH_TMP/results/$id")"
        done
    } >"$section"
    cat "$section" >&2
    summary_row S3 "256 MiB hits, one client" "GB/s" high "≥ 1.0× best peer" best $(medians 1 %.2f)
}

# run_download ID SECONDS: JSON from client.py download against the target.
run_download() {
    local url=${BENCH_URL[$1]} port path
    port=${url#http://127.0.0.1:}
    path=/${port#*/}
    port=${port%%/*}
    timeout $(($2 + 120)) taskset -c "$LOAD_CPU" python3 "$here/client.py" download --port "$port" --path "$path" \
        --seconds "$2" || die "download from $url failed"
}

fill_and_verify_big() {
    local name=$1 url=$2 expected=$3 got="$BENCH_TMP/verify.big" i code
    for i in 1 2; do
        code=$(curl -sS --max-time 300 -o "$got" -w '%{http_code}' "$url") || die "$name: request to $url failed"
        [[ $code == 200 ]] || die "$name: $url answered $code"
        cmp -s "$got" "$expected" || die "$name: body from $url differs from $expected ($(stat -c %s "$got") bytes)"
    done
    rm -f "$got"
    log "$name: verified $url twice (256 MiB, identical)"
}

# S5: the miss path. wrk -s miss.lua asks for /miss/TOKEN-1, -2, ... (never the same URL twice),
# the origin answers each with the 1 KiB file, cacheable; every cache stores every response.
scenario_miss() {
    CACHE_GIB=4 start_cache_peers miss "$origin_port"
    bench_reset
    bench_target origin "origin nginx, direct (reference)" "http://127.0.0.1:$origin_port/miss/"
    target_peers /miss/
    local id
    for id in "${BENCH_TARGETS[@]}"; do
        verify_body "${BENCH_NAME[$id]}" "${BENCH_URL[$id]}check-$id" "$BENCH_TMP/www/1k.bin"
    done
    curl -s -D - -o /dev/null "${BENCH_URL[larder]}check-larder" | grep -qi '^cache-status: larder; hit' ||
        die "Larder did not store /miss/check-larder (S5 would not measure a storing miss path)"
    rm -f "$BENCH_TMP"/results/*
    WRK_SCRIPT="$here/miss.lua" bench_measure_all "$LOAD_CPU" "$PROXY_CPU"
    local o l section
    o=$(bench_median origin 1)
    {
        echo "## S5: the miss path, every request a new URL"
        echo
        echo "\`wrk -t1 -c$CONNECTIONS -s Benchmarks/miss.lua\`: every request asks for a URL never asked before"
        echo "(\`/miss/TOKEN-N\`); the origin answers each with the 1 KiB file and \`Cache-Control: public,"
        echo "max-age=3600\`, so every request is a miss that is fetched and stored (the origin column must"
        echo "match the request count). The reference is wrk against the origin directly (origin and wrk share"
        echo "CPU $LOAD_CPU there, so it is a lower bound of the origin's rate). The target compares each"
        echo "cache's rate with the origin's. Larder's store is 4 GiB, nginx's max_size 4g (keys zone 64 MiB),"
        echo "Varnish malloc 4g, Traffic Server a 4 GiB cache file. Date: $(date -u +%Y-%m-%dT%H:%MZ)."
        echo
        echo "| target | req/s | p99 ms | / origin direct | Larder / target |"
        echo "|---|---:|---:|---:|---:|"
        l=$(bench_median larder 1)
        for id in "${BENCH_TARGETS[@]}"; do
            awk -v n="${BENCH_NAME[$id]}" -v r="$(bench_median "$id" 1)" -v p="$(bench_median "$id" 2)" -v o="$o" -v l="$l" \
                'BEGIN { printf "| %s | %.0f | %.2f | %.2f | %.2f |\n", n, r, p, r / o, l / r }'
        done
        echo
        echo "Every run (CPU busy: the proxy's core / the origin+wrk core; origin requests during the run):"
        echo
        bench_runs_detail "$PROXY_CPU" "$LOAD_CPU"
    } >"$BENCH_TMP/S5.md"
    cat "$BENCH_TMP/S5.md" >&2
    summary_row S5 "misses, share of origin's req/s" "× origin" high "≥ 1.0× best peer" best \
        $(medians 1 %.3f 1 "$o")
    summary_row S5 "p99 latency" ms low "no worse than the best peer" best $(medians 2 %.2f)
    stop_cache_peers miss
}

# S4: 200 clients at once, one cold key, the origin answers after 500 ms.
scenario_stampede() {
    local delay=${S4_DELAY:-0.5} clients=${S4_CLIENTS:-200} round id port key out fetches
    start_cache_peers stampede "$slow_port"
    bench_reset
    bench_target origin "origin.py, direct (reference)" "$slow_port"
    local p
    for p in "${PEERS[@]}" larder; do bench_target "$p" "${PEER_NAME[$p]:-Larder}" "${P_PORT[$p]}"; done
    BENCH_NAME[nginx]="nginx proxy_cache, proxy_cache_lock on"
    rm -f "$BENCH_TMP"/results/*
    for ((round = 1; round <= RUNS; round++)); do
        for id in $(bench_round_order "$round"); do
            port=${BENCH_URL[$id]}
            key="/slow/s4-$id-$round-$(date +%s%N)"
            out=$(timeout 120 taskset -c "$LOAD_CPU" python3 "$here/client.py" stampede --port "$port" --path "$key" \
                --clients "$clients" --timeout 60) || die "S4: the stampede against ${BENCH_NAME[$id]} failed"
            fetches=$(curl -s --max-time 5 "http://127.0.0.1:$slow_port/_count?path=$key")
            python3 - "$out" "$fetches" >>"$BENCH_TMP/results/$id" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print(d["wall_s"], sys.argv[2].strip(), d["ok"], d["failed"], d["ttfb_first_s"], d["ttfb_last_s"],
      ",".join(map(str, d["statuses"])), d["distinct_bodies"])
PY
            log "S4 run $round/$RUNS ${BENCH_NAME[$id]}: $(tail -1 "$BENCH_TMP/results/$id") (wall s, origin fetches, ok, failed, first/last TTFB s, statuses, distinct bodies)"
        done
    done
    stop_cache_peers stampede
    local target_wall
    target_wall=$(awk -v d="$delay" 'BEGIN { printf "%.3f", d * 1.10 }')
    {
        echo "## S4: $clients clients, one cold key, an origin that answers after ${delay}s"
        echo
        echo "\`Benchmarks/client.py stampede\` (CPU $LOAD_CPU) opens $clients connections, then sends the same"
        echo "\`GET /slow/KEY\` on all of them at once; \`Benchmarks/origin.py\` (CPU $LOAD_CPU) answers"
        echo "\`/slow/\` after ${delay}s with 16 KiB, \`Cache-Control: public, max-age=3600\`, and counts the"
        echo "requests per path. Wall time runs from the send until the last client has its whole body."
        echo "A new key every run; $RUNS run(s) per target, interleaved; medians. nginx: \`proxy_cache_lock on\`"
        echo "(default \`proxy_cache_lock_timeout\` 5s); Varnish: built-in VCL (its waiting list coalesces);"
        echo "Traffic Server: read-while-writer with open-read retries (5 × 10 ms, its documentation's example);"
        echo "Larder: its coalescer (\`cache.coalescing\` defaults). Target: one origin fetch and wall time"
        echo "≤ ${target_wall}s (origin delay + 10%). The direct row is the floor of this set-up: origin.py"
        echo "answering all $clients clients itself, sharing CPU $LOAD_CPU with the clients, which spend"
        echo "tens of milliseconds reading $clients bodies in Python; a cache cannot finish before the clients"
        echo "have read. Date: $(date -u +%Y-%m-%dT%H:%MZ)."
        echo
        echo "| target | origin fetches (per run) | wall s (median) | first TTFB s | last TTFB s | failed clients | Larder / target wall |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        local lw
        lw=$(bench_median larder 1)
        for id in "${BENCH_TARGETS[@]}"; do
            awk -v n="${BENCH_NAME[$id]}" -v lw="$lw" -v w="$(bench_median "$id" 1)" \
                -v t1="$(bench_median "$id" 5)" -v t2="$(bench_median "$id" 6)" '
                { f = f sep $2; failed += $4; sep = " / " }
                END { printf "| %s | %s | %.3f | %.3f | %.3f | %d | %.2f |\n", n, f, w, t1, t2, failed, lw / w }' \
                "$BENCH_TMP/results/$id"
        done
    } >"$BENCH_TMP/S4.md"
    cat "$BENCH_TMP/S4.md" >&2
    local id fetches=() l
    for id in larder "${PEERS[@]}"; do
        fetches+=("$(awk '$2 > m { m = $2 } END { print m + 0 }' "$BENCH_TMP/results/$id")")
    done
    summary_row S4 "origin fetches (max of runs)" fetches low "exactly 1" \
        "$( ((fetches[0] == 1)) && echo yes || echo no)" "${fetches[@]}"
    l=$(bench_median larder 1)
    summary_row S4 "wall time, $clients clients" s low \
        "≤ ${target_wall}s (direct: $(printf %.3f "$(bench_median origin 1)")s)" \
        "$(awk -v l="$l" -v t="$target_wall" 'BEGIN { print (l <= t ? "yes" : "no") }')" $(medians 1 %.3f)
}

# S7: fill each cache with S7_OBJECTS objects of S7_OBJECT_SIZE bytes (through the cache, from
# origin.py), stop it (TERM), start it again and send the very first request for the first object
# filled the moment the port accepts a connection. Hit = the origin saw no new request for it.
scenario_restart() {
    local count=${S7_OBJECTS:-2048} size=${S7_OBJECT_SIZE:-1048576} p gib out probe_pid t0 status
    gib=$(awk -v c="$count" -v s="$size" 'BEGIN { printf "%.2f", c * s / 1073741824 }')
    local store_gib=$(( (count * size) / 1073741824 + 2 ))
    CACHE_GIB=$store_gib start_cache_peers restart "$slow_port"
    local prefix="/obj/s7-$(date +%s%N)"
    : >"$BENCH_TMP/s7.txt"
    for p in "${PEERS[@]}" larder; do
        log "S7: filling $p with $count objects of $size bytes ($gib GiB)"
        out=$(timeout 1200 taskset -c "$LOAD_CPU" python3 "$here/client.py" fill --port "${P_PORT[$p]}" \
            --prefix "$prefix-$p" --count "$count" --size "$size" --concurrency 4 --timeout 1100) ||
            die "S7: filling $p failed"
        log "S7: $p filled: $out"
        # Read back the first object: it must be a hit now, or the restart question is moot.
        local before_fill after_fill
        before_fill=$(curl -s "http://127.0.0.1:$slow_port/_count?path=$prefix-$p-0")
        curl -s -o /dev/null --max-time 30 "http://127.0.0.1:${P_PORT[$p]}$prefix-$p-0?size=$size"
        after_fill=$(curl -s "http://127.0.0.1:$slow_port/_count?path=$prefix-$p-0")
        ((after_fill == before_fill)) || log "S7: warning: $p did not keep $prefix-$p-0 before the restart"
        local cache_mib
        case $p in
        varnish) cache_mib="(memory)" ;;
        *) cache_mib=$(du -sm "$BENCH_TMP/restart-$p/cache" | awk '{ print $1 }') ;;
        esac
        # Let nginx's cache manager and Larder's writer settle (Traffic Server: until its cache
        # directory was written, see ATS_SETTLE_SECONDS), then restart.
        if [[ $p == ats ]]; then sleep "$ATS_SETTLE_SECONDS"; else sleep 1; fi
        stop_pid "${P_PID[$p]}"
        taskset -c "$LOAD_CPU" python3 "$here/client.py" first --port "${P_PORT[$p]}" \
            --path "$prefix-$p-0?size=$size" --timeout 60 >"$BENCH_TMP/s7-$p.json" &
        probe_pid=$!
        sleep 0.3
        t0=$(date +%s.%N)
        if [[ $p == larder ]]; then
            NO_WAIT=1 start_larder "Larder (restart)" "$PROXY_CPU" "$BENCH_TMP/restart-larder" "${P_PORT[larder]}" \
                "http://127.0.0.1:$slow_port" --cache-size "${store_gib}GiB"
            P_PID[larder]=$BENCH_LAST_PID
        else
            NO_WAIT=1 CACHE_GIB=$store_gib start_peer "$p" restart "$slow_port"
        fi
        wait "$probe_pid" || die "S7: the first-request probe against $p failed"
        after_restart=$(curl -s "http://127.0.0.1:$slow_port/_count?path=$prefix-$p-0")
        python3 - "$BENCH_TMP/s7-$p.json" "$t0" "$after_fill" "$after_restart" "$p" "$cache_mib" >>"$BENCH_TMP/s7.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t0 = float(sys.argv[2])
hit = "hit" if sys.argv[3] == sys.argv[4] and d.get("status") == 200 else "miss"
print(sys.argv[5], f'{d["answered_at"] - t0:.3f}', hit, d.get("status"), d.get("bytes"), sys.argv[6])
PY
        log "S7 $p: $(tail -1 "$BENCH_TMP/s7.txt") (seconds from start until the first response, hit?, status, bytes, cache MiB on disk)"
    done
    stop_cache_peers restart
    {
        echo "## S7: restart with a warm cache"
        echo
        echo "Each cache is filled through itself with $count objects of $size bytes ($gib GiB, from"
        echo "\`Benchmarks/origin.py\`), stopped with SIGTERM and started again with the same cache (Larder's"
        echo "store, nginx's max_size and Traffic Server's cache file: ${store_gib} GiB; Varnish"
        echo "\`malloc,${store_gib}g\`). Before the start,"
        echo "\`client.py first\` (CPU $LOAD_CPU) polls the port every millisecond; the moment a connection is"
        echo "accepted it asks for the first object filled (the oldest). \"Serving after\" is the time from"
        echo "starting the process until that first response is complete; \"hit\" means the origin did not see"
        echo "the request. The issue's target is a 10 GiB store; this run used $gib GiB (set S7_OBJECTS and"
        echo "S7_OBJECT_SIZE for more). Date: $(date -u +%Y-%m-%dT%H:%MZ)."
        echo
        echo "| cache | first request | serving after s | cache on disk MiB |"
        echo "|---|---|---:|---:|"
        for p in "${PEERS[@]}" larder; do
            awk -v id="$p" -v n="${PEER_NAME[$p]:-Larder}" '$1 == id { printf "| %s | %s | %s | %s |\n", n, $3, $2, $6 }' \
                "$BENCH_TMP/s7.txt"
        done
    } >"$BENCH_TMP/S7.md"
    cat "$BENCH_TMP/S7.md" >&2
    local hits=() times=()
    for p in larder "${PEERS[@]}"; do
        hits+=("$(awk -v id="$p" '$1 == id { print $3 }' "$BENCH_TMP/s7.txt")")
        times+=("$(awk -v id="$p" '$1 == id { print $2 }' "$BENCH_TMP/s7.txt")")
    done
    summary_row S7 "first request after restart ($gib GiB)" "" text "a hit" \
        "$([[ ${hits[0]} == hit ]] && echo yes || echo no)" "${hits[@]}"
    summary_row S7 "serving after start" s low "≤ 1 s (10 GiB store)" \
        "$(awk -v l="${times[0]}" 'BEGIN { print (l <= 1.0 ? "yes" : "no") }')" "${times[@]}"
}

# The summary: one row per measure, Larder beside both peers, the ratio to the best peer, the target.
write_summary() {
    local section="$BENCH_TMP/summary.md" command
    command="DURATION=$DURATION RUNS=$RUNS Benchmarks/run.sh"
    [[ -n ${LARDER_BIN_GIVEN:-} ]] && command="LARDER_BIN=… $command"
    {
        echo "## Summary: Larder against nginx, Varnish and Traffic Server (issue 7, S1–S7)"
        echo
        echo "One run of \`make bench\`; every figure below is a median of that run's rounds, and the sections"
        echo "after this one give each scenario's set-up, every peer's numbers and every single run."
        echo "\"Larder / best peer\" divides Larder's figure by the best peer's (for ms, s, MiB and fetches,"
        echo "where lower is better, above 1.00 means Larder is worse)."
        echo
        echo "- Date: $(date -u +%Y-%m-%dT%H:%MZ); Larder: $(larder_revision "$repo")"
        machine_facts
        echo "- Command: \`$command\`; proxy on CPU $PROXY_CPU (\`taskset\`), wrk/clients/origins on CPU $LOAD_CPU"
        echo "- Background load in the second before the first scenario: CPU $PROXY_CPU ${BG_PROXY}%, CPU $LOAD_CPU ${BG_LOAD}% busy${SHARED_NOTE}"
        echo
        local p header="| scenario | measure | unit | Larder |" rule="|---|---|---|---:|"
        for p in "${PEERS[@]}"; do header+=" ${PEER_NAME[$p]} |" rule+="---:|"; done
        echo "$header Larder / best peer | target | met |"
        echo "$rule---:|---|---|"
        # Fields: scenario, measure, unit, better, target, met, Larder, then one per peer.
        awk -F'\t' '{
            better = $4; l = $7; b = ""
            for (i = 8; i <= NF; i++)
                if (b == "" || (better == "high" && $i + 0 > b + 0) || (better == "low" && $i + 0 < b + 0)) b = $i
            if (better == "high") r = sprintf("%.2f", l / b)
            else if (better == "low") r = (b + 0 > 0) ? sprintf("%.2f", l / b) : "–"
            else r = "–"
            met = $6
            if (met == "best") met = (better == "high" ? l + 0 >= b + 0 : l + 0 <= b + 0) ? "yes" : "no"
            row = "| " $1 " | " $2 " | " $3 " | " l " |"
            for (i = 8; i <= NF; i++) row = row " " $i " |"
            print row " " r " | " $5 " | " met " |"
        }' "$SUMMARY"
    } >"$section"
    cat "$section"
    update_doc_section "$DOC" summary "$section" /dev/null
}

# publish_sections: every scenario's section into docs/benchmarks.md (all at the end, so a failed run
# leaves the document as it was).
publish_sections() {
    local name
    for name in S1 S2 S3 S4 S5 S6 S7; do
        [[ -f $BENCH_TMP/$name.md ]] && update_doc_section "$DOC" "$name" "$BENCH_TMP/$name.md" /dev/null
    done
    write_summary
    log "wrote the summary and the S1-S7 sections of $DOC"
}

main() {
    bench_init
    ensure_tools nginx:nginx varnishd:varnish traffic_server:trafficserver wrk:wrk curl:curl taskset:util-linux python3:python3
    LARDER_BIN_GIVEN=${LARDER_BIN:-}
    build_larder "$repo"
    SUMMARY="$BENCH_TMP/summary.tsv"
    : >"$SUMMARY"

    # How busy the machine is with other work before anything starts: reported with the results.
    local before
    before=$(cpu_times "$PROXY_CPU" "$LOAD_CPU")
    sleep 1
    read -r BG_PROXY BG_LOAD < <(cpu_busy "$before" "$(cpu_times "$PROXY_CPU" "$LOAD_CPU")")
    SHARED_NOTE=""
    if ((BG_PROXY > 10 || BG_LOAD > 10)); then
        SHARED_NOTE=" (the machine was shared with other work: absolute numbers are noisy, compare ratios)"
    fi

    local want=" ${SCENARIOS:-passthrough hits miss stampede restart} "
    start_origin
    [[ $want == *" passthrough "* ]] && scenario_passthrough
    ORIGIN_STATUS_URL="http://127.0.0.1:$origin_port/_status"

    # origin.py: the slow, counting origin for S4 and S7, on the load core.
    read -r slow_port < <(free_ports 1)
    start_bg "$LOAD_CPU" "$BENCH_TMP/origin.py.log" python3 "$here/origin.py" --port "$slow_port" \
        --delay "${S4_DELAY:-0.5}"
    log "origin.py: PID $BENCH_LAST_PID, on 127.0.0.1:$slow_port (CPU $LOAD_CPU)"
    wait_port "$slow_port" "$BENCH_LAST_PID" origin.py

    [[ $want == *" hits "* ]] && scenario_hits
    [[ $want == *" miss "* ]] && scenario_miss
    [[ $want == *" stampede "* ]] && scenario_stampede
    [[ $want == *" restart "* ]] && scenario_restart
    publish_sections
}

main "$@"
