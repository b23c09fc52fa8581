#!/usr/bin/env bash
# deps.sh [LIST] — install the Debian packages augur needs (listed in
# scripts/debian-packages.txt, or LIST: scripts/debian-packages-fuzz.txt for
# `make fuzz`). Does nothing, quickly and without touching the
# network, when everything is already installed. Runs apt-get directly as root,
# through `sudo -n` otherwise; never prompts.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list="${1:-$here/debian-packages.txt}"   # another list as argument (e.g. debian-packages-fuzz.txt)

die() { printf 'deps.sh: error: %s\n' "$*" >&2; exit 1; }

command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found: this script supports Debian/Ubuntu only; install the packages in $list by hand"
[[ -r "$list" ]] || die "package list $list not found"

# Which packages are wanted but not installed?
missing=()
while read -r pkg unless_cmd _; do
    [[ -n "$pkg" ]] || continue
    if [[ -n "${unless_cmd:-}" ]] && command -v "$unless_cmd" >/dev/null 2>&1; then
        continue        # provided by something outside Debian's package
    fi
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    [[ "$status" == ii* ]] || missing+=("$pkg")
done < <(sed -e 's/#.*//' "$list")

if (( ${#missing[@]} == 0 )); then
    echo "deps.sh: all Debian packages present"
    exit 0
fi

echo "deps.sh: missing Debian packages: ${missing[*]}"

if (( EUID == 0 )); then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    die "need root to install: ${missing[*]}
  run this script as root, give this user password-less sudo, or install them yourself:
    apt-get update && apt-get install --no-install-recommends ${missing[*]}"
fi

# Wait (up to 10 minutes) rather than fail if another apt/dpkg holds the lock.
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive
     apt-get -q -y -o DPkg::Lock::Timeout=600)

"${apt[@]}" update
"${apt[@]}" install --no-install-recommends "${missing[@]}"

# Check that apt really delivered everything.
still=()
for pkg in "${missing[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    [[ "$status" == ii* ]] || still+=("$pkg")
done
(( ${#still[@]} == 0 )) || die "still not installed after apt-get: ${still[*]}"
echo "deps.sh: installed ${missing[*]}"
