#!/usr/bin/env bash
# The portal's mail reaches a real, independent SMTP server: aiosmtpd (Python) receives what a registration sends.
# The Rust suite already tests delivery, outages and retries against an in-process SMTP server; this checks the same
# transport against someone else's implementation of the protocol. Run by .ci/run; needs python3 and the network to
# the package registry for aiosmtpd.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=${SMTP_TEST_VENV:-/tmp/sangtao-aiosmtpd-venv}
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q aiosmtpd==1.4.6

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
smtp_port=$(free_port)
app_port=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$work/maildir" \
    >"$work/smtp.log" 2>&1 &
pids+=($!)

cargo build --locked --quiet
(SANGTAO_DATA_DIR="$work/data" SANGTAO_BIND="127.0.0.1:$app_port" SMTP_URL="smtp://127.0.0.1:$smtp_port" \
    SANGTAO_MAIL_POLL_MS=100 RUST_LOG=warn exec target/debug/sangtao serve --demo) >"$work/app.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$app_port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' \
    -d '{"email":"thu.nghiem@example.org","display_name":"Phan Thu Nghiệm","password":"mật khẩu đủ dài","unit":"phuong-7"}' \
    "http://127.0.0.1:$app_port/api/v1/auth/register")

passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $*"; fi; }

check test "$status" = 202
message=""
for _ in $(seq 1 100); do
    message=$(find "$work/maildir/new" -type f 2>/dev/null | head -n 1)
    [[ -n $message ]] && break
    sleep 0.2
done
check test -n "$message"
if [[ -n $message ]]; then
    check grep -q '^X-RcptTo: thu.nghiem@example.org' "$message"
    check grep -qi '^Message-ID: <' "$message"
    check grep -q "/verify?token=" "$message"
    check test "$(find "$work/maildir/new" -type f | wc -l)" -eq 1
fi
[[ $failed -eq 0 ]] || { echo "--- app log"; cat "$work/app.log"; echo "--- smtp log"; cat "$work/smtp.log"; }
echo "aiosmtpd: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
