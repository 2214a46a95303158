#!/usr/bin/env bash
# The browser suite: Debian's Chromium driven by playwright-core, axe-core on every page, against the release binary
# on a fresh data folder with the demo data. Installs what it needs (chromium from apt, the npm packages pinned in
# package.json), builds the binary if missing, exits non-zero on any failure.
#   SANGTAO_BIN=path   the server binary (default: ${CARGO_TARGET_DIR:-target}/release/sangtao)
#   E2E_PROFILE=debug  use (and build if missing) the debug binary instead of the release one
#   E2E_KEEP=1         keep the data folder (mail, database, server log) after the run
#   extra arguments    passed to `node --test` (e.g. --test-name-pattern=axe)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

e2e_setup

status=0
(cd "$E2E_DIR" && node --test --test-concurrency=1 --test-reporter=spec "$@" \
    mail.test.mjs public.test.mjs flow.test.mjs hostile.test.mjs hostile_forms.test.mjs) || status=$?
if [[ $status -ne 0 ]]; then
    echo "--- last lines of the server log ($E2E_WORK/server.log)"
    tail -n 40 "$E2E_WORK/server.log"
fi
exit "$status"
