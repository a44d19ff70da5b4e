# shellcheck shell=bash
# Benchmarks/lib.sh: helpers shared by every benchmark scenario. Source it from a
# script that runs with `set -euo pipefail`; it does nothing by itself.
#
# The pieces, in the order a scenario uses them:
#   bench_init                      scratch dir + EXIT trap that stops what we started
#   ensure_tools, build_larder      install nginx/wrk if missing, build Larder (release)
#   free_ports, wait_port           loopback ports, readiness polling
#   nginx_origin_conf, nginx_proxy_conf, larder_conf   config files in the scratch dir
#   start_nginx, start_larder       background processes, pinned, PIDs recorded
#   verify_body                     one request through a target must return the exact body
#   bench_target, bench_measure_all warm-up + measured wrk runs, interleaved across targets
#   bench_table, machine_facts      medians, ratios, markdown
#   update_doc_section              replace a marked section of docs/benchmarks.md
#
# Later scenarios (cached objects, coalescing, Varnish, RSS, restarts) add their own
# start_*/conf helpers here and reuse the measuring and reporting parts unchanged.

BENCH_PIDS=()        # every background process we started; stopped by PID on exit
BENCH_TMP=""         # scratch directory (mktemp -d); removed on a clean exit
BENCH_LAST_PID=""    # PID of the process the last start_* call launched
BENCH_TARGETS=()     # target ids, in the order they were registered
declare -A BENCH_NAME=()   # target id -> display name
declare -A BENCH_URL=()    # target id -> URL wrk hits

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Pinning: the proxy under test gets a core to itself, and the load generator and
# the origin share the other. Without it the scheduler moves wrk, origin and proxy
# across both cores from run to run, and whoever shares a core with wrk loses; with
# it every proxy gets the same single core, the same budget a one-worker nginx has.
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
if (($(nproc) < 2)); then
    log "only $(nproc) CPU: no pinning possible, numbers will be noisier"
    PROXY_CPU=0 LOAD_CPU=0
fi

# --- lifecycle --------------------------------------------------------------------

bench_init() {
    BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/larder-bench.XXXXXX")
    mkdir -p "$BENCH_TMP/results"
    trap bench_cleanup EXIT
    # Turn Ctrl-C / TERM into a normal exit so the EXIT trap runs once.
    trap 'exit 130' INT
    trap 'exit 143' TERM
    log "scratch directory: $BENCH_TMP"
}

# Stops every process we started, by PID: TERM, up to 5 s grace, then KILL.
bench_cleanup() {
    local status=$? pid i
    for pid in "${BENCH_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for ((i = 0; i < 50; i++)); do
        local alive=0
        for pid in "${BENCH_PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${BENCH_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            log "PID $pid did not stop on TERM; sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n $BENCH_TMP && -d $BENCH_TMP ]]; then
        if ((status == 0)) && [[ ${KEEP_TMP:-0} != 1 ]]; then
            rm -rf "$BENCH_TMP"
        else
            log "logs and configs kept in $BENCH_TMP"
        fi
    fi
    exit "$status"
}

# Runs "$@" in the background pinned to CPU $1 (taskset execs, so $! is the real
# process), stdout+stderr to $2, and records the PID.
start_bg() {
    local cpu=$1 logfile=$2
    shift 2
    taskset -c "$cpu" "$@" >"$logfile" 2>&1 &
    BENCH_LAST_PID=$!
    BENCH_PIDS+=("$BENCH_LAST_PID")
}

# --- tools ---------------------------------------------------------------------------

# ensure_tools CMD:PACKAGE ... : apt-get installs the packages whose command is missing.
ensure_tools() {
    local spec missing=()
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
    done
    ((${#missing[@]} == 0)) && return 0
    local sudo=""
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || die "need root or sudo to install: ${missing[*]}"
        sudo=sudo
    fi
    log "installing: ${missing[*]}"
    # apt's output goes to stderr: stdout is reserved for the result table.
    $sudo apt-get update >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}" >&2
}

# Sets LARDER_BIN: the given one if set, else a fresh release build of the repo at $1.
build_larder() {
    local repo=$1
    if [[ -n ${LARDER_BIN:-} ]]; then
        [[ -x $LARDER_BIN ]] || die "LARDER_BIN=$LARDER_BIN is not an executable"
        log "using LARDER_BIN=$LARDER_BIN (no build)"
        return 0
    fi
    # A scratch path of its own, so a benchmark build never races a debug build or test run in .build.
    local scratch="$repo/.build-bench"
    # The Makefile's RELEASE_FLAGS.
    local flags=(-c release --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked -Xswiftc -use-ld=lld
        -Xlinker --no-export-dynamic -Xlinker -z -Xlinker pack-relative-relocs)
    log "building Larder (swift build ${flags[*]} --product larder --scratch-path .build-bench); this takes minutes"
    # Build output goes to stderr: stdout is reserved for the result table.
    (cd "$repo" && swift build "${flags[@]}" --product larder --scratch-path "$scratch") >&2
    LARDER_BIN="$(cd "$repo" && swift build "${flags[@]}" --scratch-path "$scratch" --show-bin-path)/larder"
    [[ -x $LARDER_BIN ]] || die "build finished but $LARDER_BIN is missing"
}

# --- ports ---------------------------------------------------------------------------

# free_ports N: prints N distinct loopback ports the kernel considers free right now.
# All sockets are bound at once so the ports differ; a tiny race with other
# programs remains, wait_port's liveness check catches it.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# wait_port PORT PID NAME: polls until an HTTP request on 127.0.0.1:PORT gets any
# answer (at most 100 x 0.1 s), failing early if the process PID has died.
wait_port() {
    local port=$1 pid=$2 name=$3 i
    for ((i = 0; i < 100; i++)); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" && return 0
        kill -0 "$pid" 2>/dev/null || die "$name (PID $pid) exited before listening on $port; see $BENCH_TMP"
        sleep 0.1
    done
    die "$name did not accept connections on 127.0.0.1:$port within 10 s"
}

# --- nginx ---------------------------------------------------------------------------

NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}

# The part every nginx instance shares: foreground, one worker (one core's worth of
# CPU, the same budget Larder gets), everything under its own prefix so nothing
# touches /etc/nginx or /var/log/nginx, and no access log. MASTER=on (the caching
# peer) keeps nginx's usual process layout: a master, one worker, and the cache
# manager and cache loader processes proxy_cache relies on (size limit, warm start);
# all inherit the taskset pinning. MASTER=off runs the whole server in one process.
_nginx_head() {
    local dir=$1 master=${2:-off}
    # A master started as root hands the work to "nobody", who cannot enter our mktemp directory.
    if [[ $master == on ]] && ((EUID == 0)); then echo "user root;"; fi
    cat <<EOF
daemon off;
master_process $master;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
EOF
}

_nginx_http_common() {
    local dir=$1
    cat <<EOF
    access_log off;
    default_type application/octet-stream;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
EOF
}

# nginx_origin_conf DIR PORT DOCROOT: writes DIR/nginx.conf for a static origin.
#   /NAME         the file with Cache-Control: no-store (nothing may cache it: pass-through)
#   /cached/NAME  the same file with Cache-Control: public, max-age=3600 (for cache scenarios)
nginx_origin_conf() {
    local dir=$1 port=$2 docroot=$3
    mkdir -p "$dir/tmp"
    {
        _nginx_head "$dir"
        echo "http {"
        _nginx_http_common "$dir"
        cat <<EOF
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$port;
        root $docroot;
        # Readiness probe target (wait_port asks for /), so probes log no 403s.
        location = / {
            return 204;
        }
        location / {
            add_header Cache-Control "no-store" always;
        }
        location /cached/ {
            alias $docroot/;
            add_header Cache-Control "public, max-age=3600" always;
        }
        # S5: every /miss/ANYTHING is the 1 KiB file, cacheable, so each new URL is a miss that gets stored.
        location /miss/ {
            add_header Cache-Control "public, max-age=3600" always;
            try_files /1k.bin =404;
        }
        # Requests the origin has accepted so far ("Requests" in stub_status): how the harness
        # counts the fetches that reached the origin during a run (hits must not).
        location = /_status {
            stub_status;
        }
    }
}
EOF
    } >"$dir/nginx.conf"
}

# nginx_proxy_conf DIR PORT UPSTREAM_PORT [HTTP_EXTRA [LOCATION_EXTRA]]: nginx as a reverse proxy,
# keep-alive to the origin the way the nginx docs recommend (upstream keepalive + HTTP/1.1 + empty
# Connection header). The extras add directives to the http block and to the location (caching).
nginx_proxy_conf() {
    local dir=$1 port=$2 upstream_port=$3 http_extra=${4:-} location_extra=${5:-} master=${6:-off}
    mkdir -p "$dir/tmp"
    {
        _nginx_head "$dir" "$master"
        echo "http {"
        _nginx_http_common "$dir"
        cat <<EOF
    $http_extra
    upstream origin {
        server 127.0.0.1:$upstream_port;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            $location_extra
        }
    }
}
EOF
    } >"$dir/nginx.conf"
}

# nginx_cache_conf DIR PORT UPSTREAM_PORT [MAX_SIZE]: the same proxy with proxy_cache, as nginx's docs
# recommend for a cache: master + one worker (so the cache manager and loader run), a keys zone
# (64 MiB: about 500,000 keys, enough for the miss scenario), proxy_cache_lock on, sendfile on (as in
# Debian's stock nginx.conf) so hits go out with sendfile(2). Freshness comes from the origin's
# Cache-Control. X-Cache-Status tells hits from misses when checking by hand.
nginx_cache_conf() {
    local dir=$1 port=$2 upstream_port=$3 max_size=${4:-2g}
    mkdir -p "$dir/cache"
    nginx_proxy_conf "$dir" "$port" "$upstream_port" \
        "sendfile on; tcp_nopush on; proxy_cache_path $dir/cache levels=1:2 keys_zone=larder_bench:64m max_size=$max_size inactive=1h;" \
        "proxy_cache larder_bench; proxy_cache_lock on; add_header X-Cache-Status \$upstream_cache_status;" \
        on
}

# nginx_static_conf DIR PORT DOCROOT: nginx serving DOCROOT itself (sendfile), the reference for what
# one core can do with the same bytes when there is no proxy logic at all.
nginx_static_conf() {
    local dir=$1 port=$2 docroot=$3
    mkdir -p "$dir/tmp"
    {
        _nginx_head "$dir"
        echo "http {"
        _nginx_http_common "$dir"
        cat <<EOF
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$port;
        location = / {
            return 204;
        }
        location /cached/ {
            alias $docroot/;
            add_header Cache-Control "public, max-age=3600" always;
        }
    }
}
EOF
    } >"$dir/nginx.conf"
}

# start_nginx NAME CPU DIR PORT: checks DIR/nginx.conf, starts nginx pinned to CPU,
# waits for PORT.
start_nginx() {
    local name=$1 cpu=$2 dir=$3 port=$4
    "$NGINX_BIN" -t -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" ||
        die "$name: nginx -t rejected $dir/nginx.conf"
    start_bg "$cpu" "$dir/stdout.log" "$NGINX_BIN" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log"
    log "$name: nginx, PID $BENCH_LAST_PID, on 127.0.0.1:$port (CPU $cpu)"
    wait_port "$port" "$BENCH_LAST_PID" "$name"
}

# --- Larder --------------------------------------------------------------------------

# larder_conf FILE: the YAML config every scenario shares. The access log is off
# because nginx's is off too; a log line per request is work the other side skips.
larder_conf() {
    cat >"$1" <<'EOF'
log:
  access: false
EOF
    # LARDER_YAML: more settings for every Larder the harness starts (e.g. $'cache:\n  send_from: file\n').
    printf '%s' "${LARDER_YAML:-}" >>"$1"
}

# start_larder NAME CPU DIR PORT UPSTREAM_URL [EXTRA_ARG...]: reverse-mode Larder, admin off, cache
# in DIR/cache, config DIR/larder.yaml, remaining log lines in DIR/larder.log (appended, so a
# restart keeps the first run's lines). Extra arguments go to `larder serve` (e.g. --cache-size).
# NO_WAIT=1 returns without waiting for the port (the restart scenario times that itself).
start_larder() {
    local name=$1 cpu=$2 dir=$3 port=$4 upstream=$5
    shift 5
    mkdir -p "$dir"
    larder_conf "$dir/larder.yaml"
    taskset -c "$cpu" "$LARDER_BIN" serve --config "$dir/larder.yaml" \
        --mode reverse --listen "127.0.0.1:$port" --upstream "$upstream" \
        --admin off --cache-dir "$dir/cache" "$@" >>"$dir/larder.log" 2>&1 &
    BENCH_LAST_PID=$!
    BENCH_PIDS+=("$BENCH_LAST_PID")
    log "$name: $LARDER_BIN, PID $BENCH_LAST_PID, on 127.0.0.1:$port (CPU $cpu)"
    [[ ${NO_WAIT:-0} == 1 ]] || wait_port "$port" "$BENCH_LAST_PID" "$name"
}

# --- Varnish -------------------------------------------------------------------------

VARNISHD_BIN=${VARNISHD_BIN:-$(command -v varnishd || echo /usr/sbin/varnishd)}

# start_varnish NAME CPU DIR PORT BACKEND_PORT [STORAGE]: varnishd in the foreground (-F) with the
# built-in VCL and one backend (-b), its default storage type (malloc) sized like the other caches
# (STORAGE, default malloc,2g: Varnish's own default of 100 MB could not hold S3's 256 MiB object),
# no jail (-j none: we run as whoever runs the script), no management port (-T none), its working
# directory under DIR. The PID recorded is the manager; it stops the cache child on TERM.
# NO_WAIT=1 returns without waiting for the port.
start_varnish() {
    local name=$1 cpu=$2 dir=$3 port=$4 backend_port=$5 storage=${6:-malloc,2g}
    mkdir -p "$dir"
    taskset -c "$cpu" "$VARNISHD_BIN" -F -j none -T none -n "$dir/work" -a "127.0.0.1:$port" \
        -b "127.0.0.1:$backend_port" -s "$storage" >>"$dir/varnish.log" 2>&1 &
    BENCH_LAST_PID=$!
    BENCH_PIDS+=("$BENCH_LAST_PID")
    log "$name: varnishd, PID $BENCH_LAST_PID, on 127.0.0.1:$port (CPU $cpu)"
    [[ ${NO_WAIT:-0} == 1 ]] || wait_port "$port" "$BENCH_LAST_PID" "$name"
}

# --- Traffic Server ------------------------------------------------------------------

TRAFFIC_SERVER_BIN=${TRAFFIC_SERVER_BIN:-$(command -v traffic_server || echo /usr/bin/traffic_server)}

# Traffic Server writes its cache directory to disk every proxy.config.cache.dir.sync_frequency
# seconds (60 by default) and forgets what it stored since the last write when it stops; it keeps a
# fill across a SIGTERM once 2 × that + 2 s have passed. The restart scenario waits this long first.
ATS_SYNC_SECONDS=5
ATS_SETTLE_SECONDS=$((2 * ATS_SYNC_SECONDS + 2))

# start_ats NAME CPU DIR PORT BACKEND_PORT CACHE_GIB: traffic_server itself (no traffic_manager), every
# path under DIR (runroot.yaml: configs in DIR/etc, logs in DIR/log, a CACHE_GIB cache file in
# DIR/cache), a reverse proxy for 127.0.0.1:BACKEND_PORT with one event thread (the other caches' one
# worker) and the collapsing settings of its documentation's "Reducing Origin Server Requests"
# (read-while-writer, open-read retries 5 × 10 ms, background fill on). No access log, as for the
# others; root needs user_id #-1 (stay who we are). setsid: its crash-log helper otherwise wakes when
# this shell's job ends. An existing DIR/cache is kept (a restart). NO_WAIT=1 returns without
# waiting for the port.
start_ats() {
    local name=$1 cpu=$2 dir=$3 port=$4 backend_port=$5 gib=$6 file d
    mkdir -p "$dir/etc" "$dir/run" "$dir/log" "$dir/cache"
    {
        echo "prefix: $dir"
        for d in sysconfdir:etc datadir:cache localstatedir:run runtimedir:run logdir:log cachedir:cache; do
            echo "${d%%:*}: $dir/${d#*:}"
        done
        echo "exec_prefix: /usr"
        echo "bindir: /usr/bin"
        echo "sbindir: /usr/sbin"
        echo "includedir: /usr/include"
        echo "libdir: /usr/lib/trafficserver"
        echo "libexecdir: /usr/lib/trafficserver/modules"
    } >"$dir/runroot.yaml"
    cat >"$dir/etc/records.config" <<EOF
CONFIG proxy.config.http.server_ports STRING $port:ip-in=127.0.0.1
CONFIG proxy.config.admin.user_id STRING #-1
CONFIG proxy.config.exec_thread.autoconfig INT 0
CONFIG proxy.config.exec_thread.limit INT 1
CONFIG proxy.config.accept_threads INT 0
CONFIG proxy.config.task_threads INT 1
CONFIG proxy.config.net.connections_throttle INT 10000
CONFIG proxy.config.reverse_proxy.enabled INT 1
CONFIG proxy.config.url_remap.remap_required INT 1
CONFIG proxy.config.http.cache.http INT 1
CONFIG proxy.config.http.wait_for_cache INT 2
CONFIG proxy.config.cache.dir.sync_frequency INT $ATS_SYNC_SECONDS
CONFIG proxy.config.cache.max_doc_size INT 0
CONFIG proxy.config.cache.enable_read_while_writer INT 1
CONFIG proxy.config.http.background_fill_active_timeout INT 0
CONFIG proxy.config.http.background_fill_completed_threshold FLOAT 0.0
CONFIG proxy.config.http.cache.max_open_read_retries INT 5
CONFIG proxy.config.http.cache.open_read_retry_time INT 10
CONFIG proxy.config.log.logging_enabled INT 1
EOF
    echo "map http://127.0.0.1:$port/ http://127.0.0.1:$backend_port/" >"$dir/etc/remap.config"
    echo "$dir/cache ${gib}G" >"$dir/etc/storage.config"
    printf 'ip_allow:\n  - apply: in\n    ip_addrs: 127.0.0.1\n    action: allow\n    methods: ALL\n' \
        >"$dir/etc/ip_allow.yaml"
    for file in cache.config parent.config hosting.config volume.config ssl_multicert.config plugin.config; do
        : >"$dir/etc/$file"
    done
    TS_RUNROOT=$dir taskset -c "$cpu" setsid "$TRAFFIC_SERVER_BIN" >>"$dir/log/stdout.log" 2>&1 </dev/null &
    BENCH_LAST_PID=$!
    BENCH_PIDS+=("$BENCH_LAST_PID")
    log "$name: traffic_server, PID $BENCH_LAST_PID, on 127.0.0.1:$port (CPU $cpu)"
    [[ ${NO_WAIT:-0} == 1 ]] || wait_port "$port" "$BENCH_LAST_PID" "$name"
}

# stop_pid PID: TERM, up to 10 s grace, then KILL; for scenarios that stop a server themselves
# (restarts, freeing a core). The PID stays in BENCH_PIDS; cleanup skips it once it is gone.
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "PID $pid did not stop on TERM within 10 s; sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# --- memory --------------------------------------------------------------------------

# tree_pids PID: PID and all its descendants, one per line.
tree_pids() {
    local pid=$1 child
    echo "$pid"
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
        tree_pids "$child"
    done
}

# hwm_kib PID: peak resident set (VmHWM) of one process in KiB, 0 if it is gone.
hwm_kib() {
    local v
    v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)
    echo "${v:-0}"
}

# tree_hwm PID: "LARGEST_KIB SUM_KIB COUNT" over the process tree under PID: the largest VmHWM (the
# process doing the serving: nginx's worker, Varnish's cache child, Larder itself) and the sum
# over all processes (an upper bound: shared pages count once per process).
tree_hwm() {
    local pid max=0 sum=0 count=0 h
    for pid in $(tree_pids "$1"); do
        h=$(hwm_kib "$pid")
        ((h > max)) && max=$h
        sum=$((sum + h))
        count=$((count + 1))
    done
    echo "$max $sum $count"
}

# --- checks --------------------------------------------------------------------------

# verify_body NAME URL FILE: one GET must answer 200 with exactly FILE's bytes.
verify_body() {
    local name=$1 url=$2 expected=$3 got="$BENCH_TMP/verify.body" code
    code=$(curl -sS --max-time 5 -o "$got" -w '%{http_code}' "$url") || die "$name: request to $url failed"
    [[ $code == 200 ]] || die "$name: $url answered $code, expected 200"
    cmp -s "$got" "$expected" ||
        die "$name: body from $url differs from $expected ($(wc -c <"$got") bytes received)"
    log "$name: verified $url ($(wc -c <"$got") bytes, identical)"
}

# log_findings NAME FILE: prints warning/error lines a server logged during the run.
log_findings() {
    local name=$1 file=$2 count
    [[ -f $file ]] || return 0
    count=$(grep -ciE 'warn|error|crit|alert|emerg|fatal' "$file" || true)
    if ((count > 0)); then
        log "$name logged $count warning/error lines ($file); first ones:"
        grep -iE 'warn|error|crit|alert|emerg|fatal' "$file" | head -5 >&2
    fi
}

# --- measuring -----------------------------------------------------------------------

DURATION=${DURATION:-10s}
RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-64}
WARMUP=${WARMUP:-3s}

# to_seconds 10s|2m|30 -> whole seconds (for the safety timeout around wrk).
to_seconds() {
    local d=$1
    case $d in
    *ms) echo 1 ;;
    *s) echo "${d%s}" ;;
    *m) echo $((${d%m} * 60)) ;;
    *h) echo $((${d%h} * 3600)) ;;
    *) echo "$d" ;;
    esac
}

# run_wrk CPU DURATION URL OUTFILE [WRK_ARG...]: one wrk run, one thread, CONNECTIONS connections,
# latency distribution on; extra arguments go to wrk (a Lua script and its `-- ARGS`). wrk stops by
# itself after DURATION; `timeout` is only a backstop if it hangs.
run_wrk() {
    local cpu=$1 duration=$2 url=$3 out=$4 limit
    shift 4
    limit=$(($(to_seconds "$duration") + 30))
    timeout "$limit" taskset -c "$cpu" wrk -t1 -c"$CONNECTIONS" -d"$duration" --latency "$url" "$@" >"$out" 2>&1 ||
        die "wrk failed against $url (output in $out)"
}

# origin_requests: requests the nginx origin has accepted so far (its stub_status), or 0 when
# ORIGIN_STATUS_URL is unset. Reading it is itself one request, which callers subtract.
origin_requests() {
    [[ -n ${ORIGIN_STATUS_URL:-} ]] || {
        echo 0
        return
    }
    curl -s --max-time 5 "$ORIGIN_STATUS_URL" | awk 'NR == 3 { print $3 }'
}

# parse_transfer FILE: wrk's "Transfer/sec" in bytes per second.
parse_transfer() {
    awk '/^Transfer\/sec:/ {
            v = $2; n = v + 0
            if (v ~ /GB$/) n *= 1024 * 1024 * 1024; else if (v ~ /MB$/) n *= 1024 * 1024; else if (v ~ /KB$/) n *= 1024
            printf "%.0f\n", n; found = 1 }
         END { if (!found) print 0 }' "$1"
}

# parse_wrk FILE: prints "REQS_PER_SEC P99_MS ERRORS" from wrk --latency output.
# wrk prints latencies as 812.00us, 1.23ms, 2.01s or 1.00m; we normalise to ms.
# ERRORS = socket errors (connect+read+write+timeout) + non-2xx/3xx responses.
parse_wrk() {
    awk '
        function ms(v,   n) {
            n = v + 0
            if (v ~ /us$/) return n / 1000
            if (v ~ /ms$/) return n
            if (v ~ /s$/)  return n * 1000
            if (v ~ /m$/)  return n * 60000
            if (v ~ /h$/)  return n * 3600000
            return n
        }
        /Latency Distribution/ { dist = 1 }
        dist && $1 == "99%"     { p99 = ms($2) }
        /^Requests\/sec:/       { rps = $2 }
        /Socket errors:/        { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx/        { errors += $NF }
        END {
            if (rps == "" || p99 == "") exit 1
            printf "%s %.3f %d\n", rps, p99, errors
        }' "$1"
}

# median: numbers on stdin, one per line -> the median (mean of the middle two if even).
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_target ID "DISPLAY NAME" URL: registers a target for bench_measure_all.
bench_target() {
    BENCH_TARGETS+=("$1")
    BENCH_NAME[$1]=$2
    BENCH_URL[$1]=$3
}

# bench_reset: forgets the registered targets (each scenario registers its own).
bench_reset() {
    BENCH_TARGETS=()
}

# cpu_times CPU...: "TOTAL IDLE" jiffies of each CPU, from /proc/stat, on one line.
cpu_times() {
    local cpus="$*"
    awk -v cpus="$cpus" '
        BEGIN { n = split(cpus, want, " ") }
        /^cpu[0-9]/ { t = 0; for (i = 2; i <= NF; i++) t += $i; total[$1] = t; idle[$1] = $5 + $6 }
        END { for (i = 1; i <= n; i++) printf "%s%d %d", (i > 1 ? " " : ""), total["cpu" want[i]], idle["cpu" want[i]]; print "" }' /proc/stat
}

# cpu_busy "BEFORE" "AFTER": busy percentage per CPU between two cpu_times samples.
cpu_busy() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ")
        for (i = 1; i < n; i += 2) {
            dt = y[i] - x[i]; di = y[i + 1] - x[i + 1]
            printf "%s%.0f", (i > 1 ? " " : ""), (dt > 0 ? 100 * (dt - di) / dt : 0)
        }
        print "" }'
}

# bench_measure_all LOAD_CPU PROXY_CPU: a warm-up run per target, then RUNS rounds in
# which every target gets one measured run. The warm-up fills connection pools and
# brings caches, page tables and the allocator to steady state, so the first measured
# run isn't an outlier. Interleaving the rounds (A B C, A B C, ...) rather than doing
# all of A then all of B means slow drift on a shared machine hits every target alike,
# which keeps the ratios honest. How busy both CPUs were is recorded per run: a load
# CPU near 100% means wrk + origin, not the proxy, set the pace.
# Results land in $BENCH_TMP/results/ID, one line per run:
#   REQS_PER_SEC P99_MS ERRORS PROXY_CPU_BUSY% LOAD_CPU_BUSY% ORIGIN_REQUESTS BYTES_PER_SEC
# ORIGIN_REQUESTS counts what reached the nginx origin during the run (ORIGIN_STATUS_URL): about 0
# for a cache serving hits, about the request count for a miss path. WRK_SCRIPT=FILE runs every
# request through that Lua script, given a token unique to the run (`-- TOKEN`).
# bench_round_order ROUND: the targets in the order round ROUND (from 1) measures them: BENCH_TARGETS
# rotated by ROUND - 1, so no target always runs first or always follows the same one (on this machine
# the first of two identical back-to-back runs once came out 10-14% costlier than the second).
bench_round_order() {
    local round=$1 count=${#BENCH_TARGETS[@]} i
    for ((i = 0; i < count; i++)); do
        echo "${BENCH_TARGETS[$(((i + round - 1) % count))]}"
    done
}

bench_measure_all() {
    local load_cpu=$1 proxy_cpu=$2 id round line before after o_before o_after file
    local -a extra
    _wrk_extra() {
        extra=()
        [[ -n ${WRK_SCRIPT:-} ]] && extra=(-s "$WRK_SCRIPT" -- "$1-$(date +%s%N)")
        return 0
    }
    for id in "${BENCH_TARGETS[@]}"; do
        log "warm-up: ${BENCH_NAME[$id]} (wrk -t1 -c$CONNECTIONS -d$WARMUP)"
        _wrk_extra "$id-warmup"
        run_wrk "$load_cpu" "$WARMUP" "${BENCH_URL[$id]}" "$BENCH_TMP/results/$id.warmup.txt" "${extra[@]}"
    done
    for ((round = 1; round <= RUNS; round++)); do
        for id in $(bench_round_order "$round"); do
            file="$BENCH_TMP/results/$id.run$round.txt"
            _wrk_extra "$id-$round"
            o_before=$(origin_requests)
            before=$(cpu_times "$proxy_cpu" "$load_cpu")
            run_wrk "$load_cpu" "$DURATION" "${BENCH_URL[$id]}" "$file" "${extra[@]}"
            after=$(cpu_times "$proxy_cpu" "$load_cpu")
            o_after=$(origin_requests)
            line=$(parse_wrk "$file") || die "cannot parse wrk output $file"
            line="$line $(cpu_busy "$before" "$after") $((o_after - o_before > 0 ? o_after - o_before - 1 : 0))"
            line="$line $(parse_transfer "$file")"
            echo "$line" >>"$BENCH_TMP/results/$id"
            log "run $round/$RUNS ${BENCH_NAME[$id]}: $line (req/s, p99 ms, errors, CPU $proxy_cpu busy %, CPU $load_cpu busy %, origin requests, bytes/s)"
        done
    done
}

# bench_median ID COLUMN: median of one results column over the runs (1 = req/s, 2 = p99 ms).
bench_median() {
    awk -v c="$2" '{ print $c }' "$BENCH_TMP/results/$1" | median
}

# bench_table BASELINE_ID: markdown table of all targets, medians, and req/s ratio
# against the baseline target.
bench_table() {
    local base=$1 id rps p99 base_rps
    base_rps=$(bench_median "$base" 1)
    echo "| target | req/s (median) | p99 ms (median) | ratio vs ${BENCH_NAME[$base]} |"
    echo "|---|---:|---:|---:|"
    for id in "${BENCH_TARGETS[@]}"; do
        rps=$(bench_median "$id" 1)
        p99=$(bench_median "$id" 2)
        awk -v n="${BENCH_NAME[$id]}" -v r="$rps" -v p="$p99" -v b="$base_rps" \
            'BEGIN { printf "| %s | %.0f | %.2f | %.2f |\n", n, r, p, r / b }'
    done
}

# bench_runs_detail PROXY_CPU LOAD_CPU: every run's req/s, p99 and CPU load per target,
# plus error counts, so a reader can judge the spread behind the medians.
bench_runs_detail() {
    local id
    for id in "${BENCH_TARGETS[@]}"; do
        awk -v n="${BENCH_NAME[$id]}" -v pc="$1" -v lc="$2" '
            {
                rps = rps sep sprintf("%.0f", $1); p = p sep sprintf("%.2f", $2)
                cpu = cpu sep sprintf("%s/%s", $4, $5); o = o sep ($6 == "" ? "?" : $6); sep = " / "; e += $3
            }
            END { printf "- %s: req/s %s; p99 ms %s; CPU %s/CPU %s busy %% %s; origin requests %s; errors %d\n", n, rps, p, pc, lc, cpu, o, e }' \
            "$BENCH_TMP/results/$id"
    done
}

# bench_errors_total: socket errors + non-2xx responses over all measured runs.
bench_errors_total() {
    local id
    for id in "${BENCH_TARGETS[@]}"; do cat "$BENCH_TMP/results/$id"; done | awk '{ e += $3 } END { print e + 0 }'
}

# --- reporting -----------------------------------------------------------------------

# machine_facts: markdown bullets describing where the numbers come from.
machine_facts() {
    local cpu kernel nginx_v wrk_v swift_v
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    kernel=$(uname -r)
    nginx_v=$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')
    wrk_v=$( (wrk -v 2>&1 || true) | head -1 | sed 's/ Copyright.*//')
    swift_v=$( (swift --version 2>&1 || true) | grep -m1 -i 'swift version' || echo unknown)
    echo "- CPUs (nproc): $(nproc); CPU model: ${cpu:-unknown}"
    echo "- Kernel: $kernel"
    echo "- nginx: $nginx_v; wrk: $wrk_v"
    if [[ -x $VARNISHD_BIN ]]; then
        echo "- Varnish: $("$VARNISHD_BIN" -V 2>&1 | head -1 | sed 's/^varnishd (\(.*\) revision.*/\1/')"
    fi
    if [[ -x $TRAFFIC_SERVER_BIN ]]; then
        echo "- Traffic Server: $("$TRAFFIC_SERVER_BIN" --version 2>&1 | grep -o 'Traffic Server [0-9.]*' | head -1)" \
            "(Debian package $(dpkg-query -W -f '${Version}' trafficserver 2>/dev/null || echo unknown))"
    fi
    echo "- Swift: $swift_v; Python (origin.py, client.py): $(python3 -V 2>&1 | sed 's/Python //')"
    echo "- Memory: $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo);" \
        "disk under the scratch directory: $(df -h "${BENCH_TMP:-/tmp}" | awk 'NR == 2 { print $1 }')"
}

# larder_revision REPO: commit Larder was built from, flagged when the tree is dirty.
larder_revision() {
    local repo=$1 rev
    rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null) || {
        echo unknown
        return
    }
    if [[ -n $(git -C "$repo" status --porcelain -- Sources Package.swift 2>/dev/null) ]]; then
        rev="$rev + uncommitted changes in Sources/ or Package.swift"
    fi
    echo "$rev"
}

# update_doc_section DOC NAME CONTENT_FILE INTRO_FILE: replaces the lines between
# <!-- NAME:begin --> and <!-- NAME:end --> in DOC with CONTENT_FILE (markers kept).
# A missing DOC is created from INTRO_FILE; a missing section is appended.
update_doc_section() {
    local doc=$1 name=$2 content=$3 intro=$4
    local begin="<!-- $name:begin -->" end="<!-- $name:end -->"
    mkdir -p "$(dirname "$doc")"
    [[ -f $doc ]] || cp "$intro" "$doc"
    if ! grep -qF "$begin" "$doc"; then
        printf '\n%s\n%s\n' "$begin" "$end" >>"$doc"
    fi
    grep -qF "$end" "$doc" || die "$doc has '$begin' but no '$end'"
    awk -v begin="$begin" -v end="$end" -v content="$content" '
        $0 == begin { print; while ((getline line < content) > 0) print line; skip = 1; next }
        $0 == end   { skip = 0 }
        !skip       { print }' "$doc" >"$doc.tmp.$$"
    mv "$doc.tmp.$$" "$doc"
}
