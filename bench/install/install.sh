#!/usr/bin/env bash
# Install cost of the packed package (bench/RESULTS.md, "Install"):
#   - wall time of `npm install <tarball>` with the prebuilt engine in the tarball, and without it (the
#     install script then builds the engine from source: g++, CMake, Eigen and, where nvcc is on the PATH,
#     the CUDA backend);
#   - `du -sm node_modules` of a consumer that installed only tunable (no TensorFlow.js).
# Each install goes into a fresh project that already holds better-sqlite3 (built from source once, not
# timed: its own prebuild download is unreachable on the machines this runs on, and on a user's machine it
# is a download in both cases). The npm cache is warm (the first, untimed install fills it), so the times
# are of the install itself, not of the network.
#
# Usage: bash bench/install/install.sh [tarball]   (default: `npm pack` of this checkout)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/tunable-install-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ $# -ge 1 ]; then
  tarball=$(readlink -f "$1")
else
  npm pack --pack-destination "$work" >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; exit 1; }
  tarball="$work/$(tail -n 1 "$work/pack.log")"
fi
mkdir -p "$work/x"
tar -xzf "$tarball" -C "$work/x"
[ -f "$work/x/package/prebuilds/linux-x64/tunable.node" ] || { echo "the tarball has no linux-x64 prebuild" >&2; exit 1; }
sqlite=$(node -p "require('$work/x/package/package.json').dependencies['better-sqlite3']")
rm -rf "$work/x/package/prebuilds"
tar -czf "$work/noprebuild.tgz" -C "$work/x" package

mkdir -p "$work/base"
echo '{ "name": "consumer", "version": "1.0.0", "private": true }' >"$work/base/package.json"
(cd "$work/base" && npm install --no-audit --no-fund "better-sqlite3@$sqlite" >/dev/null 2>&1)
base_mb=$(du -sm "$work/base/node_modules" | cut -f1)

# One untimed install fills the npm cache with tunable's dependencies.
cp -a "$work/base" "$work/warm"
(cd "$work/warm" && npm install --no-audit --no-fund "$tarball" >/dev/null 2>&1)

timed() { # timed NAME TARBALL → seconds
  cp -a "$work/base" "$work/$1"
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$work/$1" && npm install --no-audit --no-fund "$2" >"$work/$1.log" 2>&1) || { cat "$work/$1.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  node -p "($t1 - $t0).toFixed(1)"
}

prebuilt_s=$(timed prebuilt "$tarball")
engine_pre=$(node -p "require('$work/prebuilt/node_modules/tunable/build/install.json').engine")
source_s=$(timed source "$work/noprebuild.tgz")
engine_src=$(node -p "require('$work/source/node_modules/tunable/build/install.json').engine")
cuda=$(node -p "JSON.stringify(require('$work/source/node_modules/tunable/build/cmake/Release/tunable.node').cudaStatus(false).compiled)")
nm_mb=$(du -sm "$work/prebuilt/node_modules" | cut -f1)
tfjs=$([ -d "$work/prebuilt/node_modules/@tensorflow" ] && echo present || echo absent)

echo "tarball: $(basename "$tarball"), $(du -k "$tarball" | cut -f1) kB"
echo "install with the prebuild:   ${prebuilt_s} s (engine: $engine_pre)"
echo "install from source:         ${source_s} s (engine: $engine_src, CUDA backend compiled: $cuda)"
echo "node_modules of the consumer: ${nm_mb} MB (of which better-sqlite3 and its dependencies: ${base_mb} MB; @tensorflow: $tfjs)"
echo "largest packages:"
(cd "$work/prebuilt/node_modules" && du -sm ./* ./@*/* 2>/dev/null | sort -rn | head -8 | sed 's/^/  /')
