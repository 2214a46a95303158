#!/usr/bin/env bash
# Search and similar ideas under load: the release build on the seeded SQLite database with the page cache OFF, so
# every request runs its query. One wrk run per query kind, each beside /healthz in the same run:
#   search-typical   several words ("un tac giao thong", no accents)
#   search-none      a word no idea holds
#   search-letter    a one-letter query (every word beginning with "t")
#   search-common    a word in most ideas ("phuong")
#   search-page      the HTML results page with highlighting, for the typical query
#   similar-*        GET /api/v1/ideas/similar for a typical title and summary, a one-letter title, and a text
#                    made of the most common words
#
# Usage: bench/search.sh [--ideas N] [--duration SECONDS] [--connections C] [--threads T] [--smoke]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'USAGE'
Usage: bench/search.sh [--ideas N] [--duration SECONDS] [--connections C] [--threads T] [--smoke]

  --ideas N          ideas in the benchmark database (default 1000000)
  --duration S       seconds of measurement per query (default 10)
  --connections C    open connections kept by wrk (default: two per core, the load that keeps every core busy)
  --threads T        wrk threads (default 2)
  --smoke            quick run for CI: 20000 ideas, 3 seconds per query (explicit flags still win)
USAGE
}

# Under load means every core busy: two requests in flight per core reach the highest rate (on the 2-core test
# machine 4 connections answered more searches a second than 16, which only add queueing: p99 ≈ connections ÷ rate).
CORES=$(nproc 2>/dev/null || echo 2)
IDEAS=1000000 DURATION=10 CONNECTIONS=$((2 * CORES)) THREADS=$(((CORES + 1) / 2)) SMOKE_IDEAS=20000 SMOKE_DURATION=3
bench_parse_args "$@"
bench_paths search
bench_machine
echo "== parameters"
echo "ideas:           $IDEAS"
echo "duration:        ${DURATION}s per query, after a ${WARMUP}s warm-up of the same query"
echo "wrk:             -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency"
echo "server:          $BIN serve, RUST_LOG=warn, SANGTAO_PAGE_CACHE_MS=0 (every request queries the database)"
bench_tools_and_build
bench_seed

NAMES=(healthz search-typical search-none search-letter search-common search-page
    similar-typical similar-letter similar-common)
PATHS=("/healthz"
    "/api/v1/ideas?q=un+tac+giao+thong"
    "/api/v1/ideas?q=xyzzyqwv"
    "/api/v1/ideas?q=t"
    "/api/v1/ideas?q=phuong"
    "/ideas?q=un+tac+giao+thong"
    "/api/v1/ideas/similar?title=Gi%E1%BA%A3m+%C3%B9n+t%E1%BA%AFc+giao+th%C3%B4ng+gi%E1%BB%9D+tan+tr%C6%B0%E1%BB%9Dng&summary=Ph%C3%A2n+lu%E1%BB%93ng+xe+tr%C6%B0%E1%BB%9Bc+c%E1%BB%95ng+tr%C6%B0%E1%BB%9Dng+h%E1%BB%8Dc+v%C3%A0o+gi%E1%BB%9D+tan+h%E1%BB%8Dc"
    "/api/v1/ideas/similar?title=t"
    "/api/v1/ideas/similar?title=Ph%C6%B0%E1%BB%9Dng+thanh+ni%C3%AAn+%C3%BD+t%C6%B0%E1%BB%9Fng&summary=ng%C6%B0%E1%BB%9Di+d%C3%A2n+ph%C6%B0%E1%BB%9Dng+thanh+ni%C3%AAn")

start_server search 0
R_RPS=() R_P50=() R_P99=()
for i in "${!PATHS[@]}"; do
    wrk_run "${NAMES[$i]}" "${PATHS[$i]}"
    R_RPS[i]=$W_RPS R_P50[i]=$W_P50 R_P99[i]=$W_P99
done
stop_server

echo
echo "== search and similar ideas, page cache off (ratios to /healthz in this run)"
printf '%-16s %10s %9s %9s %7s  %s\n' name req/s "p50 ms" "p99 ms" ratio path
for i in "${!PATHS[@]}"; do
    printf '%-16s %10s %9s %9s %7s  %s\n' "${NAMES[i]}" "${R_RPS[i]}" "${R_P50[i]}" "${R_P99[i]}" \
        "$(awk -v a="${R_RPS[i]}" -v b="${R_RPS[0]}" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')" "${PATHS[i]}"
done
check_server_log
if ((failed)); then
    echo "bench: FAILED: some requests got no 2xx response (see above and ${RESULTS#"$ROOT"/}/)" >&2
    exit 1
fi
echo "bench: done; every response was 2xx. Raw output: ${RESULTS#"$ROOT"/}/"
