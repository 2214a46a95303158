#!/usr/bin/env bash
# Lighthouse on a phone (default mobile emulation) against the release binary with the demo data: home, /ideas, an
# idea page and /adopted. Prints the scores and fails if performance or accessibility is below 95 on any of them,
# or if /ideas weighs more than 30 KB compressed or has a render-blocking script. Installs chromium and the npm
# packages when missing; builds the release binary if missing (SANGTAO_BIN overrides it; E2E_PROFILE=debug takes
# the debug build).
#   LIGHTHOUSE_OUT=dir   keep the JSON reports there (default: a temporary folder)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

e2e_setup
node "$E2E_DIR/lighthouse.mjs"
