#!/usr/bin/env bash
# Builds the store benchmark in release mode and runs it. Scratch files go to $1 (default /tmp),
# which should be on the disk the store will use.
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release --product StoreBenchmark >/dev/null
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(uname -r), scratch in ${1:-/tmp} ($(df -h "${1:-/tmp}" | awk 'NR==2 {print $1}'))"
.build/release/StoreBenchmark "${1:-/tmp}"
