#!/usr/bin/env bash
# Mail survives an outage of a real SMTP server (aiosmtpd): a burst of registrations is made while nothing listens on
# the SMTP port, the app is restarted in between, then the server comes back: every message arrives exactly once
# (counted by recipient and Message-ID), and nothing more arrives afterwards. Run by .ci/run; needs python3 and the
# package registry for aiosmtpd.
set -euo pipefail
cd "$(dirname "$0")/../.."

burst=${OUTAGE_BURST:-20}
venv=${SMTP_TEST_VENV:-/tmp/sangtao-aiosmtpd-venv}
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q aiosmtpd==1.4.6

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
smtp_port=$(free_port)
app_port=$(free_port)
app_pid="" smtp_pid=""
cleanup() { kill $app_pid $smtp_pid 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cargo build --locked --quiet
start_app() {
    (SANGTAO_DATA_DIR="$work/data" SANGTAO_BIND="127.0.0.1:$app_port" SMTP_URL="smtp://127.0.0.1:$smtp_port" \
        SANGTAO_MAIL_POLL_MS=100 SANGTAO_MAIL_RETRY_MS=300 SANGTAO_TRUSTED_PROXIES=127.0.0.1 RUST_LOG=warn \
        exec target/debug/sangtao serve --demo) >>"$work/app.log" 2>&1 &
    app_pid=$!
    for _ in $(seq 1 150); do
        curl -fs "http://127.0.0.1:$app_port/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "the app did not start"; cat "$work/app.log"; exit 1
}

start_app
echo "== SMTP down: $burst registrations (one verification email each)"
accepted=0
for i in $(seq 1 "$burst"); do
    # Each from its own client address (through the trusted proxy), so the per-address limit is not what is tested.
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' \
        -H "X-Forwarded-For: 10.0.0.$i" \
        -d "{\"email\":\"outage$i@example.org\",\"display_name\":\"Người thử $i\",\"password\":\"mật khẩu đủ dài\",\"unit\":\"phuong-7\"}" \
        "http://127.0.0.1:$app_port/api/v1/auth/register")
    [[ $status == 202 ]] && accepted=$((accepted + 1))
done
sleep 2
echo "== restarting the app while SMTP is still down"
kill "$app_pid"; wait "$app_pid" 2>/dev/null || true
start_app
sleep 1
echo "== SMTP back"
"$venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$work/maildir" \
    >"$work/smtp.log" 2>&1 &
smtp_pid=$!

count() { find "$work/maildir/new" -type f 2>/dev/null | wc -l; }
for _ in $(seq 1 300); do
    (($(count) >= burst)) && break
    sleep 0.2
done
sleep 3 # anything sent twice would arrive now
delivered=$(count)
recipients=$( (grep -h '^X-RcptTo:' "$work"/maildir/new/* 2>/dev/null || true) | sort | uniq | wc -l)
ids=$( (grep -hi '^Message-ID:' "$work"/maildir/new/* 2>/dev/null || true) | sort | uniq | wc -l)
duplicated=$((delivered - ids))
# Proof the outage was real: attempts failed before the server came back (attempts counted by the outbox).
attempts=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT coalesce(sum(attempts),0) FROM outbox").fetchone()[0])' "$work/data/sangtao.db")
lost=$((accepted - recipients))
echo "outage: registrations accepted $accepted, messages delivered $delivered, distinct recipients $recipients," \
    "distinct Message-IDs $ids, delivery attempts $attempts; lost: $lost, duplicated: $duplicated"
if ((accepted != burst || lost != 0 || duplicated != 0 || delivered != burst || attempts <= delivered)); then
    echo "--- app log"; tail -50 "$work/app.log"; echo "--- smtp log"; tail -20 "$work/smtp.log"
    exit 1
fi
