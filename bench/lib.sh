#!/usr/bin/env bash
# What the benchmark scripts share: the machine report, tools, the release build, the seeded database (once per
# size), starting and stopping the server, and one wrk measurement. Sourced by run.sh, search.sh and submit.sh once
# they have set IDEAS (and DURATION, THREADS, CONNECTIONS for wrk_run), with `set -euo pipefail` in force.

die() {
    echo "bench: $*" >&2
    exit 1
}

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# bench_parse_args "$@": reads --ideas, --duration, --connections, --threads and --smoke over the defaults the
# caller put in IDEAS, DURATION, CONNECTIONS, THREADS, SMOKE_IDEAS and SMOKE_DURATION; -h calls the caller's usage.
bench_parse_args() {
    local opt_ideas="" opt_duration="" opt_connections="" opt_threads="" smoke=0
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
    SMOKE=$smoke
    if [[ $smoke == 1 ]]; then
        IDEAS=$SMOKE_IDEAS DURATION=$SMOKE_DURATION
        # A smoke run checks that the script works end to end, not how fast anything is: the debug build that
        # `cargo test` has just made serves it, which spares CI a release build.
        BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/sangtao
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
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/sangtao
# Where the wrk scripts find their shared Lua module (counts.lua).
export BENCH_LUA=$ROOT/bench/lua
WARMUP=2

# bench_paths SUITE: the database folder for IDEAS, and a results folder for this run of SUITE.
bench_paths() {
    DATA_DIR=$ROOT/bench/data/ideas-$IDEAS
    RESULTS=$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)-$1-ideas-$IDEAS
}

# bench_machine: prints what the figures are measured on.
bench_machine() {
    local cpu_model mem_total commit
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
    echo "commit:          $commit"
    echo "database:        SQLite in ${DATA_DIR#"$ROOT"/}/"
    echo "raw output:      ${RESULTS#"$ROOT"/}/"
    echo "note:            wrk and the server share these cores: compare ratios within one run, not figures across runs"
}

as_root() {
    if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

# bench_tools_and_build: installs wrk and curl if missing (Debian packages), builds the release binary.
bench_tools_and_build() {
    local missing=() wrk_version
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
    if [[ ${SMOKE:-0} == 1 ]]; then
        echo "== cargo build --locked (smoke run: debug build, the figures are not measurements)"
        (cd "$ROOT" && cargo build --locked)
    else
        echo "== cargo build --release --locked"
        (cd "$ROOT" && cargo build --release --locked)
    fi
    [[ -x $BIN ]] || die "$BIN was not built"
    mkdir -p "$RESULTS"
}

# ---------------------------------------------------------------- seed (once per N)
# What seed-bench makes; the same number is `BENCH_SEED_FORMAT` in src/demo/mod.rs (a database seeded by another
# version is seeded again).
BENCH_SEED_FORMAT=3
read_target() { sed -n "s/^$1=//p" "$DATA_DIR/targets.env" | tail -n1; }

valid_targets() {
    [[ -f $DATA_DIR/targets.env ]] &&
        [[ $(read_target ideas) == "$IDEAS" ]] &&
        [[ -n $(read_target idea_id) ]] &&
        [[ -n $(read_target deep_cursor) ]] &&
        [[ -n $(read_target open_contest) ]] &&
        [[ $(read_target seed_format) == "$BENCH_SEED_FORMAT" ]] &&
        [[ -n $(read_target writer_token) ]] &&
        [[ -n $(read_target review_criteria) ]] &&
        [[ -n $(read_target review_task) ]] &&
        [[ -f $DATA_DIR/sangtao.db ]]
}

# bench_seed: seeds bench/data/ideas-IDEAS once (seed-bench) and reuses it; sets IDEA_ID, DEEP_CURSOR, OPEN_CONTEST.
bench_seed() {
    # The server and seed-bench must use this folder's SQLite file, whatever the caller's environment says.
    # (env stops reading options at the first NAME=VALUE, so the -u options come first.)
    local seed_env=(env -u DATABASE_URL -u SANGTAO_LOG_FORMAT -u SANGTAO_PAGE_CACHE_MS SANGTAO_DATA_DIR="$DATA_DIR")
    if valid_targets; then
        echo "== seeding: reusing ${DATA_DIR#"$ROOT"/} (seeded in $(read_target seconds) s; delete the folder to reseed)"
    else
        if [[ -e $DATA_DIR ]]; then
            echo "== seeding: ${DATA_DIR#"$ROOT"/} is missing or stale (no valid targets.env): deleting it"
            rm -rf "$DATA_DIR"
        fi
        mkdir -p "$DATA_DIR"
        echo "== seeding $IDEAS ideas into ${DATA_DIR#"$ROOT"/}"
        local seed_started seed_wall
        seed_started=$(date +%s.%N)
        # targets.env appears only once seeding has finished, so an interrupted run is detected and redone.
        if ! timeout 3600 "${seed_env[@]}" RUST_LOG=warn "$BIN" seed-bench --ideas "$IDEAS" >"$DATA_DIR/targets.env.part"; then
            die "seed-bench failed (the half-made database in ${DATA_DIR#"$ROOT"/} will be replaced on the next run)"
        fi
        mv "$DATA_DIR/targets.env.part" "$DATA_DIR/targets.env"
        seed_wall=$(awk -v a="$seed_started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
        valid_targets || die "seed-bench's output in targets.env lacks a value the benchmarks need"
        echo "seeding took ${seed_wall} s (seed-bench reports $(read_target seconds) s)"
    fi
    IDEA_ID=$(read_target idea_id)
    DEEP_CURSOR=$(read_target deep_cursor)
    OPEN_CONTEST=$(read_target open_contest)
    local db_size
    db_size=$(du -sh "$DATA_DIR" 2>/dev/null | cut -f1 || true)
    echo "database size:   ${db_size:-unknown}"
    # Every run starts from the same state, so runs measure the server and not the disk: the machine may have
    # dropped the file from the page cache since it was written (read it once), and an earlier run may have left
    # hundreds of megabytes still being written back, which would queue in front of this run's log syncs (sync).
    cat "$DATA_DIR"/sangtao.db* >/dev/null 2>&1 || true
    sync
}

# ideas_in_contest SLUG: how many ideas the contest holds, read from the database file itself (python3).
ideas_in_contest() {
    python3 - "$DATA_DIR/sangtao.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(db.execute("SELECT count(*) FROM ideas i JOIN contests c ON c.id = i.contest_id WHERE c.slug = ?",
                 (sys.argv[2],)).fetchone()[0])
PY
}

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


# wrk_run NAME PATH [LUA]: a warm-up (unless WARMUP=0), then `wrk --latency` on PATH (with the Lua script LUA if given, e.g. for
# POST requests), output in RESULTS/wrk-NAME.txt. Sets W_RPS, W_P50, W_P99 (ms), W_NON2XX, W_SOCK; marks the run
# failed on an error status or no response. Waits for the server to settle afterwards.
wrk_run() {
    local name=$1 path=$2 lua=${3:-} url out code script=() p50 p99 answered timeouts
    url="http://127.0.0.1:$PORT$path"
    out=$RESULTS/wrk-$name.txt
    if [[ -n $lua ]]; then
        script=(-s "$lua")
    else
        # wrk counts only statuses of 400 and above: check the exact status (a 3xx would pass unnoticed) first.
        code=$(curl -s --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' "$url" || true)
        if [[ ! $code =~ ^2 ]]; then
            echo "bench: GET $path answered ${code:-nothing}, not 2xx" >&2
            failed=1
        fi
    fi
    if ((WARMUP > 0)); then
        timeout -k 5 $((WARMUP + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "${script[@]}" "$url" \
            >/dev/null 2>&1 || true
    fi
    if ! timeout -k 5 $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
        "${script[@]}" "$url" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk failed on $path"
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        show_server_log
        die "the server died during $path"
    fi
    W_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    [[ -n $W_RPS ]] || { cat "$out" >&2; die "no Requests/sec in wrk's output for $path"; }
    answered=$(awk '$2 == "requests" && $3 == "in" {print $1 + 0}' "$out")
    if ((${answered:-0} == 0)); then
        echo "bench: $path: not one response within ${DURATION} s" >&2
        failed=1
    fi
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    W_P50=$([[ -n $p50 ]] && to_ms "$p50" || echo "?")
    W_P99=$([[ -n $p99 ]] && to_ms "$p99" || echo "?")
    # wrk leaves responses slower than its 2 s timeout out of the latency figures and counts them as timeouts:
    # when they are over 1% of the responses (or there are none), the true p99 is above 2 s.
    timeouts=$(awk '/Socket errors:/ {gsub(/,/, ""); print $10 + 0}' "$out")
    if ((${timeouts:-0} * 100 > ${answered:-0} || ${answered:-0} == 0)); then
        W_P99=">2000"
    fi
    W_NON2XX=$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2 + 0}' "$out")
    W_NON2XX=${W_NON2XX:-0}
    W_SOCK=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out")
    W_SOCK=${W_SOCK:-0}
    if ((W_NON2XX > 0)); then
        echo "bench: $path: $W_NON2XX responses with an error status" \
            "(error statuses in this pass's server log so far: $(status_counts))" >&2
        failed=1
    fi
    if ((W_SOCK > 0)); then
        echo "bench: warning: $path: $W_SOCK socket errors ($(grep 'Socket errors' "$out" | xargs))" >&2
    fi
    settle "$path"
}
