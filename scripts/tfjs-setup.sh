#!/usr/bin/env bash
# tfjs-setup.sh — install the TensorFlow.js reference used for parity fixtures
# and the speed baseline (tools/tfjs/) with `npm ci`, exactly as pinned by
# tools/tfjs/package-lock.json.
#
# Skipped when node_modules was already installed from the same package.json
# and lock file (a hash of both is stamped into node_modules after a
# successful install), so it costs nothing and needs no network afterwards.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir="$(dirname "$here")/tools/tfjs"
stamp="$dir/node_modules/.augur-install-stamp"

say() { printf 'tfjs-setup.sh: %s\n' "$*"; }
die() { printf 'tfjs-setup.sh: error: %s\n' "$*" >&2; exit 1; }

[[ -f "$dir/package.json" ]] || die "$dir/package.json not found"
[[ -f "$dir/package-lock.json" ]] ||
    die "$dir/package-lock.json not found (npm ci needs the lock file)"

want=$(cd "$dir" && cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    say "tools/tfjs/node_modules up to date"
    exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm not found; run scripts/deps.sh first"

say "installing tools/tfjs dependencies with npm ci ..."
# No package in the lock needs install scripts; --prefer-offline reuses npm's
# cache when it already holds the pinned tarballs.
(cd "$dir" && npm ci --ignore-scripts --prefer-offline --no-audit --no-fund \
    --no-update-notifier) || die "npm ci failed in $dir"
printf '%s\n' "$want" > "$stamp"
say "done"
