# Shared by run.sh and lighthouse.sh (sourced, not run): Debian's Chromium, the npm packages, the release binary, and
# a portal with the demo data on a free loopback port over a fresh data folder.
# After `e2e_start_server`: E2E_BASE_URL, E2E_DATA_DIR, E2E_MAIL_DIR, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, E2E_PID.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_DIR/../.." && pwd)

# Debian's Chromium (never a browser downloaded from npm). The launcher script /usr/bin/chromium prints a harmless
# warning; the binary behind it is used directly.
e2e_chromium() {
    if [[ ! -x /usr/lib/chromium/chromium ]]; then
        echo "installing Debian's chromium"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    export CHROME_PATH=/usr/lib/chromium/chromium
    "$CHROME_PATH" --version
}

# Node (this kind of machine ships it; Debian's package otherwise) and the exact versions of package-lock.json,
# installed again only when the lock changed.
e2e_npm() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "installing Debian's nodejs and npm"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    fi
    (
        cd "$E2E_DIR"
        local stamp=node_modules/.sangtao-lock.sha256
        if [[ -f $stamp ]] && sha256sum --check --status "$stamp" 2>/dev/null; then
            return 0
        fi
        npm ci --no-audit --no-fund --loglevel=error
        sha256sum package-lock.json package.json >"$stamp"
    )
}

# The server binary: SANGTAO_BIN, or the cargo target's release build (E2E_PROFILE=debug: the debug build), built
# when missing.
e2e_binary() {
    local profile=${E2E_PROFILE:-release}
    SANGTAO_BIN=${SANGTAO_BIN:-${CARGO_TARGET_DIR:-$E2E_ROOT/target}/$profile/sangtao}
    if [[ ! -x $SANGTAO_BIN ]]; then
        echo "building $SANGTAO_BIN"
        if [[ $profile == debug ]]; then
            (cd "$E2E_ROOT" && cargo build --locked)
        else
            (cd "$E2E_ROOT" && cargo build --release --locked)
        fi
    fi
    [[ -x $SANGTAO_BIN ]] || { echo "$SANGTAO_BIN was not built"; return 1; }
    echo "server binary: $SANGTAO_BIN"
}

e2e_free_port() {
    node -e 'const s = require("net").createServer();
        s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# Seeds the demo data into a fresh data folder, creates an administrator (password on standard input), starts
# `sangtao serve --demo` there and waits for /readyz. The caller stops it with `e2e_stop_server`.
e2e_start_server() {
    E2E_WORK=$(mktemp -d /tmp/sangtao-e2e.XXXXXX)
    E2E_DATA_DIR=$E2E_WORK/data
    E2E_MAIL_DIR=$E2E_DATA_DIR/mail
    local port
    port=$(e2e_free_port)
    E2E_BASE_URL=http://127.0.0.1:$port
    E2E_ADMIN_EMAIL=bantochuc.e2e@example.org
    E2E_ADMIN_PASSWORD=$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')
    export E2E_BASE_URL E2E_DATA_DIR E2E_MAIL_DIR E2E_ADMIN_EMAIL E2E_ADMIN_PASSWORD
    export SANGTAO_DATA_DIR=$E2E_DATA_DIR SANGTAO_BIND=127.0.0.1:$port SANGTAO_BASE_URL=$E2E_BASE_URL
    export SANGTAO_MAIL_POLL_MS=100 RUST_LOG=${RUST_LOG:-warn}
    "$SANGTAO_BIN" seed-demo >/dev/null
    printf '%s\n' "$E2E_ADMIN_PASSWORD" | "$SANGTAO_BIN" create-admin --email "$E2E_ADMIN_EMAIL" \
        --name "Ban tổ chức" >/dev/null
    "$SANGTAO_BIN" serve --demo >"$E2E_WORK/server.log" 2>&1 &
    E2E_PID=$!
    local _
    for _ in $(seq 1 150); do
        if curl -fs "$E2E_BASE_URL/readyz" >/dev/null 2>&1; then
            echo "portal ready at $E2E_BASE_URL (pid $E2E_PID, data $E2E_DATA_DIR)"
            return 0
        fi
        if ! kill -0 "$E2E_PID" 2>/dev/null; then
            break
        fi
        sleep 0.2
    done
    echo "the portal did not become ready; its log:"
    cat "$E2E_WORK/server.log"
    return 1
}

e2e_stop_server() {
    if [[ -n ${E2E_PID:-} ]] && kill -0 "$E2E_PID" 2>/dev/null; then
        kill "$E2E_PID"
        wait "$E2E_PID" 2>/dev/null || true
    fi
    E2E_PID=
    if [[ -n ${E2E_WORK:-} && -z ${E2E_KEEP:-} ]]; then
        rm -rf "$E2E_WORK"
    fi
}

# Everything a run needs, then the portal (stopped when the calling script exits).
e2e_setup() {
    e2e_chromium
    e2e_npm
    e2e_binary
    trap e2e_stop_server EXIT
    e2e_start_server
}
