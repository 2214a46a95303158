#!/usr/bin/env bash
# Load benchmark of the release build: seeds (once) a SQLite database with N ideas, serves it on a loopback port and
# drives six URLs with wrk, first with the in-memory page cache on, then with it off. Figures are reported, never
# asserted: the run fails only if the server does not start or dies, or a request gets an error status.
#
# Usage: bench/run.sh [--ideas N] [--duration SECONDS] [--connections C] [--threads T] [--smoke]
# See bench/README.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'EOF'
Usage: bench/run.sh [--ideas N] [--duration SECONDS] [--connections C] [--threads T] [--smoke]

  --ideas N          ideas in the benchmark database (default 1000000)
  --duration S       seconds of measurement per URL (default 10)
  --connections C    open connections kept by wrk (default 64)
  --threads T        wrk threads (default 2)
  --smoke            quick run for CI: 20000 ideas, 3 seconds per URL (explicit flags still win)

The seeded database is kept in bench/data/ideas-N/ and reused; raw wrk output and server logs go to
bench/results/<time>-ideas-N/.
EOF
}

IDEAS=1000000 DURATION=10 CONNECTIONS=64 THREADS=2 SMOKE_IDEAS=20000 SMOKE_DURATION=3
bench_parse_args "$@"

bench_paths pages
bench_machine
echo "== parameters"
echo "ideas:           $IDEAS"
echo "duration:        ${DURATION}s per URL, after a ${WARMUP}s warm-up of the same URL"
echo "wrk:             -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency"
echo "server:          $BIN serve, RUST_LOG=warn, SANGTAO_WORKERS=${SANGTAO_WORKERS:-default}," \
    "SANGTAO_DB_POOL=${SANGTAO_DB_POOL:-default}"
echo "page cache:      pass 1 SANGTAO_PAGE_CACHE_MS=default (on), pass 2 SANGTAO_PAGE_CACHE_MS=0 (off)"
bench_tools_and_build
bench_seed
echo "idea id:         $IDEA_ID"
echo "deep cursor:     $DEEP_CURSOR"

# Similar ideas for a title and summary made of words found in most ideas ("Thanh niên tình nguyện hướng dẫn người
# dân phân loại rác và giữ gìn giao thông"): the costly kind of text, not a rare one.
SIMILAR="/api/v1/ideas/similar?title=Thanh+ni%C3%AAn+t%C3%ACnh+nguy%E1%BB%87n+h%C6%B0%E1%BB%9Bng+d%E1%BA%ABn+ng%C6%B0%E1%BB%9Di+d%C3%A2n&summary=Ph%C3%A2n+lo%E1%BA%A1i+r%C3%A1c+v%C3%A0+gi%E1%BB%AF+g%C3%ACn+giao+th%C3%B4ng"
NAMES=(healthz ideas-first ideas-deep idea api-ideas similar)
PATHS=("/healthz" "/ideas" "/ideas?cursor=$DEEP_CURSOR" "/ideas/$IDEA_ID" "/api/v1/ideas" "$SIMILAR")

# measure LABEL: fills R_RPS, R_P99, R_NON2XX, R_SOCK for each URL of PATHS.
measure() {
    local label=$1 i
    R_RPS=() R_P99=() R_NON2XX=() R_SOCK=()
    for i in "${!PATHS[@]}"; do
        wrk_run "$label-${NAMES[$i]}" "${PATHS[$i]}"
        R_RPS[i]=$W_RPS R_P99[i]=$W_P99 R_NON2XX[i]=$W_NON2XX R_SOCK[i]=$W_SOCK
    done
}

print_table() {
    local title=$1 i ratio
    echo
    echo "== $title"
    printf '%-12s %12s %10s %9s %8s %9s  %s\n' name req/s "p99 ms" ratio non-2xx "sock err" path
    for i in "${!PATHS[@]}"; do
        ratio=$(awk -v a="${R_RPS[i]}" -v b="${R_RPS[0]}" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
        printf '%-12s %12s %10s %9s %8s %9s  %s\n' "${NAMES[i]}" "${R_RPS[i]}" "${R_P99[i]}" "$ratio" \
            "${R_NON2XX[i]}" "${R_SOCK[i]}" "${PATHS[i]}"
    done
    # index 1 is the first page, 2 the deep page
    awk -v f="${R_RPS[1]}" -v d="${R_RPS[2]}" 'BEGIN {
        if (d > 0) printf "deep page cost: first page req/s / deep page req/s = %.2f (1.00: the same)\n", f / d
        else print "deep page cost: not measurable (no deep page response within the run)" }'
}

echo
echo "== pass 1: page cache on (SANGTAO_PAGE_CACHE_MS default)"
start_server cache-on ""
measure cache-on
stop_server
print_table "with the page cache (ratios to this pass's /healthz)"
check_server_log

echo
echo "== pass 2: page cache off (SANGTAO_PAGE_CACHE_MS=0)"
start_server cache-off 0
measure cache-off
stop_server
print_table "without the page cache (SANGTAO_PAGE_CACHE_MS=0; ratios to this pass's /healthz)"
check_server_log

echo
if ((failed)); then
    echo "bench: FAILED: some requests got no 2xx response (see above and ${RESULTS#"$ROOT"/}/)" >&2
    exit 1
fi
echo "bench: done; every response was 2xx. Raw output: ${RESULTS#"$ROOT"/}/"
