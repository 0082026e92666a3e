#!/bin/sh
# bench.sh -- make bench: the tools/call round trip through ward mcp beside
# the same server reached directly (tests/gateway/bench.mjs).
set -eu
cd "$(dirname "$0")/../.."
if [ ! -f tests/gateway/node_modules/.package-lock.json ]; then
	(cd tests/gateway && npm ci --no-audit --no-fund >/dev/null 2>&1)
fi
exec node tests/gateway/bench.mjs "${WARD_GW_BENCH_N:-2000}"
