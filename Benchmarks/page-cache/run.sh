#!/usr/bin/env bash
# Benchmarks/page-cache/run.sh: the store writer's I/O pattern against four ways of filling the page cache
# (page-writes.c), twice each, on CPU ${PROXY_CPU:-0}, in a scratch file under ${TMPDIR:-/tmp} (put it on the
# file system the cache lives on). Needs a C compiler (${CC:-cc}).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/larder-page-cache.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
"${CC:-cc}" -O2 -o "$scratch/page-writes" "$here/page-writes.c"
echo "kernel $(uname -r); file system $(findmnt -no FSTYPE -T "$scratch")"
for round in 1 2; do
    for mode in small large readahead primed; do
        taskset -c "${PROXY_CPU:-0}" "$scratch/page-writes" "$scratch/file" "$mode"
    done
done
