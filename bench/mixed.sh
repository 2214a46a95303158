#!/usr/bin/env bash
# Mixed load: browsing, searching, submitting and reviewing at once, for DURATION seconds (10 minutes by default),
# against the release build on the seeded SQLite database (1,000,000 ideas by default). Four wrk processes run side
# by side, one per kind of request, each with its own connections:
#   browse  GET of an idea's page (half), the newest ideas, a deep list page, the home page, /adopted, /stats, the API
#   search  the HTML results page and the API for common, rare and missing words; similar ideas for a title
#   submit  durable submissions (POST /api/v1/ideas, "submit": true) by the bench contest's writers
#   review  reviewers handing in reviews (PUT /api/v1/assignments/{id}/review) in the bench contest in review
# Reports, per kind: requests, req/s, p50, p99 and max latency, answers by status class; the server's resident memory
# (RSS) before the load, sampled every second during it, and after it, with its peak (VmHWM); and checks that every
# acknowledged submission and review is in the database.
#
# Fails when any answer is not 2xx (a 5xx above all), the server dies, an acknowledged write is missing, or the
# server's peak RSS reaches BENCH_RSS_LIMIT_MB (64 by default). Latency is reported, never tested.
#
# Usage: bench/mixed.sh [--ideas N] [--duration SECONDS] [--connections C] [--smoke]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'USAGE'
Usage: bench/mixed.sh [--ideas N] [--duration SECONDS] [--connections C] [--smoke]

  --ideas N          ideas in the benchmark database (default 1000000)
  --duration S       seconds of mixed load (default 600, at most 600)
  --connections C    connections in all (default 32): half browse, a quarter submit, an eighth each search
                     and review (at least one each)
  --smoke            quick run for CI: 20000 ideas, 10 seconds (explicit flags still win)

BENCH_RSS_LIMIT_MB (default 64) is the resident memory the server must stay under.
USAGE
}

IDEAS=1000000 DURATION=600 CONNECTIONS=32 THREADS=1 SMOKE_IDEAS=20000 SMOKE_DURATION=10
RSS_LIMIT_MB=${BENCH_RSS_LIMIT_MB:-64}
bench_parse_args "$@"
# The debug build that serves smoke runs maps a larger binary: its RSS is checked only when the limit is set.
CHECK_RSS=1
[[ $SMOKE == 1 && -z ${BENCH_RSS_LIMIT_MB:-} ]] && CHECK_RSS=0
is_count "$RSS_LIMIT_MB" || die "BENCH_RSS_LIMIT_MB must be a positive whole number, not '$RSS_LIMIT_MB'"
KINDS=(browse search submit review)
at_least_one() { echo $(($1 > 0 ? $1 : 1)); }
declare -A CONNS=(
    [browse]=$(at_least_one $((CONNECTIONS / 2)))
    [search]=$(at_least_one $((CONNECTIONS / 8)))
    [submit]=$(at_least_one $((CONNECTIONS / 4)))
    [review]=$(at_least_one $((CONNECTIONS / 8)))
)
bench_paths mixed
bench_machine
echo "== parameters"
echo "ideas:           $IDEAS (before the run; submissions add to them)"
echo "duration:        ${DURATION} s of all four kinds at once, no warm-up (every request is counted)"
for kind in "${KINDS[@]}"; do
    printf 'wrk %-8s     -t1 -c%s --latency --timeout 10s\n' "$kind" "${CONNS[$kind]}"
done
echo "server:          $BIN serve, RUST_LOG=warn, page cache default;" \
    "$( ((CHECK_RSS)) && echo "RSS limit ${RSS_LIMIT_MB} MiB" || echo "RSS not checked (debug build)")"
bench_tools_and_build
bench_seed
command -v python3 >/dev/null 2>&1 || die "python3 is needed to read the SQLite file"

# What the wrk scripts draw from: a sample of public ideas, the writers' tokens, the reviewers' open assignments.
IDEA_IDS=$RESULTS/idea-ids.txt
python3 - "$DATA_DIR/sangtao.db" >"$IDEA_IDS" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
# Every 97th public idea: spread over the whole table, cheaper than ORDER BY random() at a million rows.
for (i,) in db.execute("SELECT id FROM ideas WHERE is_public AND rowid % 97 = 0 LIMIT 5000"):
    print(i)
PY
TOKENS=$RESULTS/tokens.txt
sed -n 's/^writer_token=//p' "$DATA_DIR/targets.env" >"$TOKENS"
TASKS=$RESULTS/review-tasks.txt
sed -n 's/^review_task=//p' "$DATA_DIR/targets.env" >"$TASKS"
CRITERIA=$(read_target review_criteria)
REVIEW_CONTEST=$(read_target review_contest)
echo "drawn from:      $(wc -l <"$IDEA_IDS") public ideas, $(wc -l <"$TOKENS") writers," \
    "$(wc -l <"$TASKS") open review assignments"
((${#CRITERIA} > 0)) && [[ -s $IDEA_IDS && -s $TOKENS && -s $TASKS ]] || die "the seeded data lacks what the load draws from"

# reviews_saved: review versions saved in the bench contest in review (each accepted save adds one).
reviews_saved() {
    python3 - "$DATA_DIR/sangtao.db" "$REVIEW_CONTEST" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(db.execute("SELECT count(*) FROM review_history h JOIN reviews r ON r.id = h.review_id "
                 "JOIN contests c ON c.id = r.contest_id WHERE c.slug = ?", (sys.argv[2],)).fetchone()[0])
PY
}

rss_kib() { awk -v f="${2:-VmRSS}" '$1 == f ":" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

ideas_before=$(ideas_in_contest "$OPEN_CONTEST")
reviews_before=$(reviews_saved)
start_server mixed ""
# One request of each kind first, so "before" is a server that has opened its connections and answered once.
for path in / /ideas /stats /adopted "/api/v1/ideas?q=phuong"; do
    curl -s --noproxy '*' --max-time 30 -o /dev/null "http://127.0.0.1:$PORT$path" || true
done
rss_before=$(rss_kib "$SERVER_PID")
echo "RSS before load: $(mib "$rss_before") MiB"

declare -A LUA=([browse]=browse.lua [search]=search.lua [submit]=submit.lua [review]=review.lua)
declare -A PATH_OF=([browse]=/ [search]=/ [submit]=/api/v1/ideas [review]=/api/v1/assignments)
pids=()
for kind in "${KINDS[@]}"; do
    BENCH_IDEA_IDS=$IDEA_IDS BENCH_DEEP_CURSOR=$DEEP_CURSOR BENCH_TOKENS=$TOKENS BENCH_CONTEST=$OPEN_CONTEST \
        BENCH_REVIEW_TASKS=$TASKS BENCH_CRITERIA=$CRITERIA \
        timeout -k 5 $((DURATION + 60)) wrk -t1 -c"${CONNS[$kind]}" -d"${DURATION}s" --latency --timeout 10s \
        -s "$BENCH_LUA/${LUA[$kind]}" "http://127.0.0.1:$PORT${PATH_OF[$kind]}" >"$RESULTS/wrk-$kind.txt" 2>&1 &
    pids+=($!)
done
# RSS every second while the load runs.
SAMPLES=$RESULTS/rss.tsv
echo -e "second\trss_kib" >"$SAMPLES"
rss_max=0 second=0
while kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null ||
    kill -0 "${pids[2]}" 2>/dev/null || kill -0 "${pids[3]}" 2>/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    rss=$(rss_kib "$SERVER_PID")
    echo -e "$second\t$rss" >>"$SAMPLES"
    ((rss > rss_max)) && rss_max=$rss
    sleep 1
    second=$((second + 1))
done
wrk_failed=0
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "bench: wrk for ${KINDS[$i]} failed:" >&2; cat "$RESULTS/wrk-${KINDS[$i]}.txt" >&2; wrk_failed=1; }
done
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    show_server_log
    die "the server died during the mixed load"
fi
rss_after=$(rss_kib "$SERVER_PID")
rss_peak=$(rss_kib "$SERVER_PID" VmHWM)
settle "the mixed load"
stop_server
check_server_log
ideas_after=$(ideas_in_contest "$OPEN_CONTEST")
reviews_after=$(reviews_saved)
((wrk_failed == 0)) || die "a wrk process failed"

echo
echo "== mixed load, ${DURATION} s, all kinds at once (latency includes waiting for a connection's turn)"
printf '%-8s %6s %10s %9s %9s %9s %9s %8s %8s %8s %8s\n' kind conns requests req/s "p50 ms" "p99 ms" "max ms" \
    2xx 3xx 4xx 5xx
total_5xx=0 total_bad=0
declare -A OK
for kind in "${KINDS[@]}"; do
    out=$RESULTS/wrk-$kind.txt
    requests=$(awk '$2 == "requests" && $3 == "in" {print $1 + 0}' "$out")
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    max=$(to_ms "$(awk '$1 == "Latency" {print $4}' "$out")")
    declare -A class=()
    for c in 2 3 4 5; do
        class[$c]=$(awk -v c="${c}xx:" '$1 == "answers" && $2 == c {print $3 + 0}' "$out")
        class[$c]=${class[$c]:-0}
    done
    sock=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out")
    OK[$kind]=${class[2]}
    printf '%-8s %6s %10s %9s %9s %9s %9s %8s %8s %8s %8s\n' "$kind" "${CONNS[$kind]}" "${requests:-0}" "${rps:-0}" \
        "$p50" "$p99" "$max" "${class[2]}" "${class[3]}" "${class[4]}" "${class[5]}"
    total_5xx=$((total_5xx + class[5]))
    total_bad=$((total_bad + class[3] + class[4] + class[5]))
    if ((${requests:-0} == 0)); then
        echo "bench: FAILED: $kind: not one response in ${DURATION} s" >&2
        failed=1
    fi
    if ((${sock:-0} > 0)); then
        echo "bench: warning: $kind: ${sock} socket errors ($(grep 'Socket errors' "$out" | xargs))" >&2
    fi
done
echo
echo "5xx:             $total_5xx"
echo "not 2xx:         $total_bad"
echo "RSS:             before $(mib "$rss_before") MiB, largest sample during the load $(mib "$rss_max") MiB," \
    "after $(mib "$rss_after") MiB, peak (VmHWM) $(mib "$rss_peak") MiB; limit ${RSS_LIMIT_MB} MiB" \
    "(samples in ${SAMPLES#"$ROOT"/})"
echo "submissions:     ${OK[submit]} acknowledged (201), the contest gained $((ideas_after - ideas_before)) ideas"
echo "reviews:         ${OK[review]} acknowledged (200), $((reviews_after - reviews_before)) review versions saved"

((total_bad == 0)) || { echo "bench: FAILED: $total_bad answers were not 2xx" >&2; failed=1; }
# wrk stops waiting for the requests in flight when its time is up; the server still completes them.
if ((ideas_after - ideas_before < ${OK[submit]} || ideas_after - ideas_before > ${OK[submit]} + ${CONNS[submit]})); then
    echo "bench: FAILED: $((ideas_after - ideas_before)) new ideas for ${OK[submit]} acknowledged submissions" >&2
    failed=1
fi
if ((reviews_after - reviews_before < ${OK[review]} || reviews_after - reviews_before > ${OK[review]} + ${CONNS[review]})); then
    echo "bench: FAILED: $((reviews_after - reviews_before)) review versions for ${OK[review]} acknowledged saves" >&2
    failed=1
fi
if ((CHECK_RSS && rss_peak >= RSS_LIMIT_MB * 1024)); then
    echo "bench: FAILED: the server's peak RSS $(mib "$rss_peak") MiB reached the limit of ${RSS_LIMIT_MB} MiB" >&2
    failed=1
fi
((failed == 0)) || exit 1
echo "bench: done. Raw output: ${RESULTS#"$ROOT"/}/"
