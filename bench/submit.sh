#!/usr/bin/env bash
# Durable submissions through the API: wrk POSTs complete ideas with "submit": true to the bench contest, each with
# a writer's token and a fresh Idempotency-Key, against the release build on the seeded SQLite database
# (a 201 is sent only once the idea's commit is synced to disk). Reports submissions per second beside /healthz, in
# rounds with their median, and checks that the database holds one new idea per 201 answer: never fewer (nothing
# acknowledged is lost), and at most one more per connection and round (the requests wrk abandons when its time is
# up still complete on the server).
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

The submissions run in BENCH_ROUNDS rounds (default 3) of the duration each, on one server; the median rate is
the figure to quote.
USAGE
}

IDEAS=1000000 DURATION=10 CONNECTIONS=64 THREADS=2 SMOKE_IDEAS=20000 SMOKE_DURATION=3
ROUNDS=${BENCH_ROUNDS:-3}
bench_parse_args "$@"
is_count "$ROUNDS" || die "BENCH_ROUNDS must be a positive whole number, not '$ROUNDS'"
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

start_server submit ""
wrk_run healthz /healthz
healthz_rps=$W_RPS
before=$(ideas_in_contest "$OPEN_CONTEST")
WARMUP=0
created=0 not_created=0 rates=() lines=()
for ((round = 1; round <= ROUNDS; round++)); do
    BENCH_TOKENS=$TOKENS BENCH_CONTEST=$OPEN_CONTEST wrk_run "submit-$round" /api/v1/ideas "$ROOT/bench/lua/submit.lua"
    c=$(awk '/^created:/ {print $2}' "$RESULTS/wrk-submit-$round.txt")
    o=$(awk '/^not created:/ {print $3}' "$RESULTS/wrk-submit-$round.txt")
    [[ -n $c && -n $o ]] || die "round $round: the wrk script reported no counts"
    created=$((created + c)) not_created=$((not_created + o))
    rates+=("$W_RPS")
    lines+=("$(printf '%-10s %12s %10s %10s %9s' "round $round" "$W_RPS" "$W_P50" "$W_P99" \
        "$(awk -v a="$W_RPS" -v b="$healthz_rps" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')")")
done
stop_server
after=$(ideas_in_contest "$OPEN_CONTEST")
check_server_log
median=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}')

echo
echo "== durable submissions (POST /api/v1/ideas, submit: true), $ROUNDS rounds of ${DURATION} s"
printf '%-10s %12s %10s %10s %9s\n' name req/s "p50 ms" "p99 ms" ratio
printf '%-10s %12s %10s %10s %9s\n' healthz "$healthz_rps" - - 1.00
printf '%s\n' "${lines[@]}"
printf '%-10s %12s %10s %10s %9s\n' median "$median" - - \
    "$(awk -v a="$median" -v b="$healthz_rps" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')"
echo "answers:         $created created (201), $not_created other"
echo "in the database: $before ideas before, $after after: $((after - before)) new"
# Each round may leave up to one request per connection unanswered when wrk stops; the server completes it.
slack=$((CONNECTIONS * ROUNDS))
if ((after - before < created || after - before > created + slack)); then
    echo "bench: FAILED: the database gained $((after - before)) ideas for $created answers of 201" \
        "(expected between that and $slack more)" >&2
    failed=1
fi
if ((not_created != 0)); then
    echo "bench: FAILED: $not_created submissions were not created" >&2
    failed=1
fi
if ((failed)); then
    exit 1
fi
echo "bench: done; every acknowledged submission is in the database. Raw output: ${RESULTS#"$ROOT"/}/"
