#!/usr/bin/env bash
# Kill-and-verify loop for the store: ROUNDS times (default 1000), start StoreCrashChild filling a
# store, SIGKILL it after a random 0–300 ms, then let `StoreCrashChild verify` reopen the store
# (start-up cleanup), check its integrity and re-hash every body, and check that the last fills the
# child reported as committed are present with their size and digest.
#
#   Tests/StoreCrashChild/crash-loop.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-1000}
swift build --scratch-path .build-store --product StoreCrashChild >/dev/null
child=.build-store/debug/StoreCrashChild
work=$(mktemp -d /tmp/larder-crash-loop-XXXXXX)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
for round in $(seq 1 "$rounds"); do
    "$child" fill "$work/store" "$round" >"$work/reported" &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 300)))"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    # The newest reports are the youngest entries: the 48 MiB budget cannot have evicted them.
    if ! tail -n 8 "$work/reported" | "$child" verify "$work/store" >"$work/verify"; then
        echo "round $round FAILED after $(wc -l <"$work/reported") reported fills:"
        cat "$work/verify"
        exit 1
    fi
    if ((round % 50 == 0)); then
        echo "round $round: $(cat "$work/verify")"
    fi
done
echo "$rounds kill -9 rounds verified in $(($(date +%s) - started)) s"
