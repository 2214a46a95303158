#!/usr/bin/env bash
# Durable submissions through the API: wrk POSTs complete ideas with "submit": true to the bench contest, each with
# a writer's token and a fresh Idempotency-Key, against the release build on the seeded SQLite database
# (synchronous = FULL: a 201 means the idea is on disk). Reports submissions per second beside /healthz, and checks
# that the database holds one new idea per 201 answer: never fewer (nothing acknowledged is lost), and at most one
# more per connection (the requests wrk abandons when its time is up still complete on the server).
#
# Usage: bench/submit.sh [--ideas N] [--duration SECONDS] [--connections C] [--threads T] [--smoke]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'USAGE'
Usage: bench/submit.sh [--ideas N] [--duration SECONDS] [--connections C] [--threads T] [--smoke]

  --ideas N          ideas already in the benchmark database (default 1000000)
  --duration S       seconds of submissions (default 10)
  --connections C    open connections kept by wrk (default 64)
  --threads T        wrk threads (default 2)
  --smoke            quick run for CI: 20000 ideas, 3 seconds (explicit flags still win)
USAGE
}

IDEAS=1000000 DURATION=10 CONNECTIONS=64 THREADS=2 SMOKE_IDEAS=20000 SMOKE_DURATION=3
bench_parse_args "$@"
bench_paths submit
bench_machine
echo "== parameters"
echo "ideas:           $IDEAS (before the run; each run adds what it submits)"
echo "wrk:             -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, no warm-up (every request is counted)"
echo "server:          $BIN serve, RUST_LOG=warn, page cache default"
bench_tools_and_build
bench_seed
command -v python3 >/dev/null 2>&1 || die "python3 is needed to count the ideas in the SQLite file"

TOKENS=$RESULTS/tokens.txt
sed -n 's/^writer_token=//p' "$DATA_DIR/targets.env" >"$TOKENS"
echo "writers:         $(wc -l <"$TOKENS") tokens, contest $OPEN_CONTEST"

# ideas_in_contest: how many ideas the bench contest holds, read from the database file itself.
ideas_in_contest() {
    python3 - "$DATA_DIR/sangtao.db" "$OPEN_CONTEST" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(db.execute("SELECT count(*) FROM ideas i JOIN contests c ON c.id = i.contest_id WHERE c.slug = ?",
                 (sys.argv[2],)).fetchone()[0])
PY
}

start_server submit ""
wrk_run healthz /healthz
healthz_rps=$W_RPS
before=$(ideas_in_contest)
WARMUP=0
BENCH_TOKENS=$TOKENS BENCH_CONTEST=$OPEN_CONTEST wrk_run submit /api/v1/ideas "$ROOT/bench/lua/submit.lua"
stop_server
after=$(ideas_in_contest)
created=$(awk '/^created:/ {print $2}' "$RESULTS/wrk-submit.txt")
not_created=$(awk '/^not created:/ {print $3}' "$RESULTS/wrk-submit.txt")
check_server_log

echo
echo "== durable submissions (POST /api/v1/ideas, submit: true)"
printf '%-10s %12s %10s %10s %9s\n' name req/s "p50 ms" "p99 ms" ratio
printf '%-10s %12s %10s %10s %9s\n' healthz "$healthz_rps" - - 1.00
printf '%-10s %12s %10s %10s %9s\n' submit "$W_RPS" "$W_P50" "$W_P99" \
    "$(awk -v a="$W_RPS" -v b="$healthz_rps" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')"
echo "answers:         ${created:-?} created (201), ${not_created:-?} other"
echo "in the database: $before ideas before, $after after: $((after - before)) new"
if [[ -z $created ]] || ((after - before < created || after - before > created + CONNECTIONS)); then
    echo "bench: FAILED: the database gained $((after - before)) ideas for ${created:-?} answers of 201" \
        "(expected between that and $CONNECTIONS more)" >&2
    failed=1
fi
if [[ ${not_created:-1} != 0 ]]; then
    echo "bench: FAILED: ${not_created:-?} submissions were not created" >&2
    failed=1
fi
if ((failed)); then
    exit 1
fi
echo "bench: done; every acknowledged submission is in the database. Raw output: ${RESULTS#"$ROOT"/}/"
