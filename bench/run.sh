#!/usr/bin/env bash
# Load benchmark of the release build: seeds (once) a SQLite database with N ideas, serves it on a loopback port and
# drives six URLs with wrk, first with the in-memory page cache on, then with it off. Figures are reported, never
# asserted: the run fails only if the server does not start or dies, or a request gets an error status.
#
# Usage: bench/run.sh [--ideas N] [--duration SECONDS] [--connections C] [--threads T] [--smoke]
# See bench/README.md.
set -euo pipefail

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

die() {
    echo "bench: $*" >&2
    exit 1
}

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# ---------------------------------------------------------------- arguments
opt_ideas="" opt_duration="" opt_connections="" opt_threads="" smoke=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --ideas) opt_ideas=${2:-}; shift 2 || die "--ideas needs a value" ;;
        --ideas=*) opt_ideas=${1#*=}; shift ;;
        --duration) opt_duration=${2:-}; shift 2 || die "--duration needs a value" ;;
        --duration=*) opt_duration=${1#*=}; shift ;;
        --connections) opt_connections=${2:-}; shift 2 || die "--connections needs a value" ;;
        --connections=*) opt_connections=${1#*=}; shift ;;
        --threads) opt_threads=${2:-}; shift 2 || die "--threads needs a value" ;;
        --threads=*) opt_threads=${1#*=}; shift ;;
        --smoke) smoke=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

IDEAS=1000000 DURATION=10 CONNECTIONS=64 THREADS=2
if [[ $smoke == 1 ]]; then
    IDEAS=20000 DURATION=3
fi
IDEAS=${opt_ideas:-$IDEAS}
DURATION=${opt_duration:-$DURATION}
CONNECTIONS=${opt_connections:-$CONNECTIONS}
THREADS=${opt_threads:-$THREADS}
is_count "$IDEAS" || die "--ideas must be a positive whole number, not '$IDEAS'"
is_count "$DURATION" || die "--duration must be a positive whole number of seconds, not '$DURATION'"
is_count "$CONNECTIONS" || die "--connections must be a positive whole number, not '$CONNECTIONS'"
is_count "$THREADS" || die "--threads must be a positive whole number, not '$THREADS'"
((DURATION <= 600)) || die "--duration is at most 600 seconds"
((CONNECTIONS >= THREADS)) || die "--connections must be at least --threads ($THREADS)"
WARMUP=2

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN=${CARGO_TARGET_DIR:-./target}/release/sangtao
DATA_DIR=$ROOT/bench/data/ideas-$IDEAS
RESULTS=$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)-ideas-$IDEAS

# ---------------------------------------------------------------- machine and parameters
cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
mem_total=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || true)
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $commit != unknown && -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    commit="$commit (with uncommitted changes)"
fi
echo "== machine"
echo "cores (nproc):   $(nproc)"
echo "cpu:             ${cpu_model:-unknown}"
echo "memory:          ${mem_total:-unknown}"
echo "kernel:          $(uname -sr)"
echo "== parameters"
echo "ideas:           $IDEAS"
echo "duration:        ${DURATION}s per URL, after a ${WARMUP}s warm-up of the same URL"
echo "wrk:             -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency"
echo "server:          $BIN serve, RUST_LOG=warn, SANGTAO_WORKERS=${SANGTAO_WORKERS:-default}," \
    "SANGTAO_DB_POOL=${SANGTAO_DB_POOL:-default}"
echo "page cache:      pass 1 SANGTAO_PAGE_CACHE_MS=default (on), pass 2 SANGTAO_PAGE_CACHE_MS=0 (off)"
echo "database:        SQLite in ${DATA_DIR#"$ROOT"/}/"
echo "commit:          $commit"
echo "raw output:      ${RESULTS#"$ROOT"/}/"
echo "note:            wrk and the server share these cores: compare ratios within one run, not figures across runs"

# ---------------------------------------------------------------- tools
as_root() {
    if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if ((${#missing[@]})); then
    echo "== installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# `wrk -v` prints its version and exits 1.
wrk_version=$(wrk -v 2>&1 | head -n1 || true)
echo "wrk version:     ${wrk_version:-unknown}"
command -v cargo >/dev/null 2>&1 || die "cargo is not installed"

# ---------------------------------------------------------------- build
echo "== cargo build --release --locked"
cargo build --release --locked
[[ -x $BIN ]] || die "$BIN was not built"
mkdir -p "$RESULTS"

# ---------------------------------------------------------------- seed (once per N)
# The server and seed-bench must use this folder's SQLite file, whatever the caller's environment says.
# (env stops reading options at the first NAME=VALUE, so the -u options come first.)
seed_env=(env -u DATABASE_URL -u SANGTAO_LOG_FORMAT -u SANGTAO_PAGE_CACHE_MS SANGTAO_DATA_DIR="$DATA_DIR")

read_target() { sed -n "s/^$1=//p" "$DATA_DIR/targets.env" | tail -n1; }

valid_targets() {
    [[ -f $DATA_DIR/targets.env ]] &&
        [[ $(read_target ideas) == "$IDEAS" ]] &&
        [[ -n $(read_target idea_id) ]] &&
        [[ -n $(read_target deep_cursor) ]] &&
        [[ -f $DATA_DIR/sangtao.db ]]
}

if valid_targets; then
    echo "== seeding: reusing ${DATA_DIR#"$ROOT"/} (seeded in $(read_target seconds) s; delete the folder to reseed)"
else
    if [[ -e $DATA_DIR ]]; then
        echo "== seeding: ${DATA_DIR#"$ROOT"/} is incomplete (no valid targets.env): deleting it"
        rm -rf "$DATA_DIR"
    fi
    mkdir -p "$DATA_DIR"
    echo "== seeding $IDEAS ideas into ${DATA_DIR#"$ROOT"/}"
    seed_started=$(date +%s.%N)
    # targets.env appears only once seeding has finished, so an interrupted run is detected and redone.
    if ! timeout 1800 "${seed_env[@]}" RUST_LOG=warn "$BIN" seed-bench --ideas "$IDEAS" >"$DATA_DIR/targets.env.part"; then
        die "seed-bench failed (the half-made database in ${DATA_DIR#"$ROOT"/} will be replaced on the next run)"
    fi
    mv "$DATA_DIR/targets.env.part" "$DATA_DIR/targets.env"
    seed_wall=$(awk -v a="$seed_started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    valid_targets || die "seed-bench's output in targets.env lacks ideas=, idea_id= or deep_cursor="
    echo "seeding took ${seed_wall} s (seed-bench reports $(read_target seconds) s)"
fi
IDEA_ID=$(read_target idea_id)
DEEP_CURSOR=$(read_target deep_cursor)
db_size=$(du -sh "$DATA_DIR" 2>/dev/null | cut -f1 || true)
echo "database size:   ${db_size:-unknown}"
echo "idea id:         $IDEA_ID"
echo "deep cursor:     $DEEP_CURSOR"

# Similar ideas for a title and summary made of words found in most ideas ("Thanh niên tình nguyện hướng dẫn người
# dân phân loại rác và giữ gìn giao thông"): the costly kind of text, not a rare one.
SIMILAR="/api/v1/ideas/similar?title=Thanh+ni%C3%AAn+t%C3%ACnh+nguy%E1%BB%87n+h%C6%B0%E1%BB%9Bng+d%E1%BA%ABn+ng%C6%B0%E1%BB%9Di+d%C3%A2n&summary=Ph%C3%A2n+lo%E1%BA%A1i+r%C3%A1c+v%C3%A0+gi%E1%BB%AF+g%C3%ACn+giao+th%C3%B4ng"
NAMES=(healthz ideas-first ideas-deep idea api-ideas similar)
PATHS=("/healthz" "/ideas" "/ideas?cursor=$DEEP_CURSOR" "/ideas/$IDEA_ID" "/api/v1/ideas" "$SIMILAR")

# ---------------------------------------------------------------- server
SERVER_PID=""
PORT=""
SERVER_LOG=""
failed=0

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
    local p
    for p in $(seq 18080 18179); do
        if ! port_in_use "$p"; then
            echo "$p"
            return 0
        fi
    done
    die "no free port in 127.0.0.1:18080-18179"
}

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        local i
        for i in $(seq 1 150); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

on_exit() {
    local rc=$?
    stop_server
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_server_log() {
    if [[ -s $SERVER_LOG ]]; then
        echo "--- last lines of the server log (${SERVER_LOG#"$ROOT"/}):" >&2
        tail -n 20 "$SERVER_LOG" >&2
    fi
}

# start_server LABEL CACHE_MS (CACHE_MS empty: the default)
start_server() {
    local label=$1 cache_ms=$2
    PORT=$(pick_port)
    SERVER_LOG=$RESULTS/server-$label.log
    # exec: the background job's PID is the server's own.
    (
        unset DATABASE_URL SANGTAO_LOG_FORMAT SANGTAO_PAGE_CACHE_MS
        export SANGTAO_DATA_DIR="$DATA_DIR" SANGTAO_BIND="127.0.0.1:$PORT" \
            SANGTAO_BASE_URL="http://127.0.0.1:$PORT" RUST_LOG=warn
        if [[ -n $cache_ms ]]; then export SANGTAO_PAGE_CACHE_MS="$cache_ms"; fi
        exec "$BIN" serve
    ) >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    local deadline=$((SECONDS + 60))
    until [[ $(curl -s --noproxy '*' --max-time 2 "http://127.0.0.1:$PORT/healthz" 2>/dev/null || true) == ok ]]; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null || true
            SERVER_PID=""
            show_server_log
            die "the server exited before answering /healthz"
        fi
        if ((SECONDS >= deadline)); then
            show_server_log
            die "the server did not answer /healthz within 60 s"
        fi
        sleep 0.2
    done
    echo "server up on 127.0.0.1:$PORT (pid $SERVER_PID, ${label})"
}

# ---------------------------------------------------------------- measuring
# to_ms "3.21ms" -> 3.21 ; wrk prints us, ms, s or m.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

# settle PATH: waits (at most 30 s) until the server has worked off requests left queued by the previous URL
# (closed connections do not cancel database work already queued), judged by /readyz, which needs a pooled database
# connection, answering 200 within 100 ms.
settle() {
    local started=$SECONDS answer
    while ((SECONDS - started < 30)); do
        answer=$(curl -s --noproxy '*' --max-time 15 -o /dev/null -w '%{http_code} %{time_total}' \
            "http://127.0.0.1:$PORT/readyz" || true)
        if awk -v a="$answer" 'BEGIN {split(a, f, " "); exit !(f[1] == 200 && f[2] < 0.1)}'; then
            if ((SECONDS - started > 1)); then
                echo "bench: note: the server needed $((SECONDS - started)) s to work off its queue after $1" >&2
            fi
            return 0
        fi
        sleep 0.5
    done
    echo "bench: warning: the server was still busy 30 s after $1" >&2
}

# status_counts: error statuses the server logged so far in this pass, e.g. "503 x56". At RUST_LOG=warn the
# server logs each 5xx response, and no other.
status_counts() {
    grep -o 'status=[45][0-9][0-9]' "$SERVER_LOG" 2>/dev/null | cut -d= -f2 | sort | uniq -c |
        awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}' || true
}

# check_server_log: after a pass, fails the run if the server answered any request with an error status, including
# warm-up requests and answers that came after wrk had stopped waiting.
check_server_log() {
    local counts
    counts=$(status_counts)
    if [[ -n $counts ]]; then
        echo "server log: error responses during this pass (warm-ups and late answers included): $counts"
        failed=1
    else
        echo "server log: no error responses during this pass"
    fi
}

# measure LABEL: fills R_RPS, R_P99, R_NON2XX, R_SOCK for each URL of PATHS.
measure() {
    local label=$1 i url out code
    R_RPS=() R_P99=() R_NON2XX=() R_SOCK=()
    for i in "${!PATHS[@]}"; do
        url="http://127.0.0.1:$PORT${PATHS[$i]}"
        out=$RESULTS/wrk-$label-${NAMES[$i]}.txt
        # wrk counts only statuses of 400 and above: check the exact status (a 3xx would pass unnoticed) first.
        code=$(curl -s --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' "$url" || true)
        if [[ ! $code =~ ^2 ]]; then
            echo "bench: GET ${PATHS[$i]} answered ${code:-nothing}, not 2xx" >&2
            failed=1
        fi
        timeout -k 5 $((WARMUP + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || true
        if ! timeout -k 5 $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" \
            >"$out" 2>&1; then
            cat "$out" >&2
            die "wrk failed on ${PATHS[$i]}"
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            show_server_log
            die "the server died during ${PATHS[$i]}"
        fi
        R_RPS[i]=$(awk '/^Requests\/sec:/ {print $2}' "$out")
        [[ -n ${R_RPS[i]} ]] || { cat "$out" >&2; die "no Requests/sec in wrk's output for ${PATHS[$i]}"; }
        local p99 answered timeouts
        answered=$(awk '$2 == "requests" && $3 == "in" {print $1 + 0}' "$out")
        if ((${answered:-0} == 0)); then
            echo "bench: ${PATHS[$i]}: not one response within ${DURATION} s" >&2
            failed=1
        fi
        p99=$(awk '$1 == "99%" {print $2}' "$out")
        R_P99[i]=$([[ -n $p99 ]] && to_ms "$p99" || echo "?")
        # wrk leaves responses slower than its 2 s timeout out of the latency figures and counts them as timeouts:
        # when they are over 1% of the responses (or there are none), the true p99 is above 2 s.
        timeouts=$(awk '/Socket errors:/ {gsub(/,/, ""); print $10 + 0}' "$out")
        if ((${timeouts:-0} * 100 > ${answered:-0} || ${answered:-0} == 0)); then
            R_P99[i]=">2000"
        fi
        R_NON2XX[i]=$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2 + 0}' "$out")
        R_NON2XX[i]=${R_NON2XX[i]:-0}
        R_SOCK[i]=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out")
        R_SOCK[i]=${R_SOCK[i]:-0}
        if ((R_NON2XX[i] > 0)); then
            echo "bench: ${PATHS[$i]}: ${R_NON2XX[i]} responses with an error status" \
                "(error statuses in this pass's server log so far: $(status_counts))" >&2
            failed=1
        fi
        if ((R_SOCK[i] > 0)); then
            echo "bench: warning: ${PATHS[$i]}: ${R_SOCK[i]} socket errors ($(grep 'Socket errors' "$out" | xargs))" >&2
        fi
        settle "${PATHS[$i]}"
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
