#!/usr/bin/env bash
# Prepares what the device machine needs besides the working tree (all under git-ignored paths):
#   dist/                            the compiled TypeScript (npm run build:ts)
#   build/cmake/Release/tunable.node the addon with the CUDA backend (npm run build:native, nvcc on PATH)
#   build/gpu-bundle/node.xz         this machine's node (xz -9), for a device without node
#   build/gpu-bundle/gp-timing.mjs  bench/regret/gp-timing.ts bundled (GPSampler time per suggestion)
#   build/gpu-bundle/lib/            libgomp and libstdc++ of this machine, used only if the addon does
#                                    not load with the device's own libraries
#   build/gpu-bundle/baseline.node   with BASELINE=<git revision>: the addon built from that revision (a
#   build/gpu-bundle/baseline.txt    git worktree under /tmp), which run.sh times beside this tree's addon
#                                    in the same run; baseline.txt names the revision
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d dist ] && [ dist/engine/index.js -nt src/engine/index.ts ] || npm run build:ts
[ -f build/cmake/Release/tunable.node ] || npm run build:native
node -e "const s = require('./build/cmake/Release/tunable.node').cudaStatus(); if (!s.compiled) { console.error('the addon has no CUDA backend: rebuild with nvcc on PATH'); process.exit(1); }"
mkdir -p build/gpu-bundle/lib
if [ ! -f build/gpu-bundle/node.xz ] || [ "$(command -v node)" -nt build/gpu-bundle/node.xz ]; then
  xz -9 -T2 < "$(readlink -f "$(command -v node)")" > build/gpu-bundle/node.xz
fi
for l in libgomp.so.1 libstdc++.so.6; do
  p=$(ldconfig -p | awk -v l="$l" '$1 == l && /x86-64/ { print $NF; exit }')
  [ -n "$p" ] && cp -L "$p" build/gpu-bundle/lib/
done
# The GPSampler timing bench as one file (no node_modules there; SQLite stubbed: it uses memory storage).
npx esbuild bench/regret/gp-timing.ts --bundle --platform=node --format=esm --log-level=warning \
  --outfile=build/gpu-bundle/gp-timing.mjs --alias:better-sqlite3=./bench/gpu/no-sqlite.cjs \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
if [ -n "${BASELINE:-}" ]; then
  rev=$(git rev-parse --short "$BASELINE")
  wt=/tmp/tunable-baseline-$rev
  [ -d "$wt" ] || git worktree add --detach "$wt" "$rev" >/dev/null
  ln -sfn "$PWD/node_modules" "$wt/node_modules"
  (cd "$wt" && npx cmake-js compile --out build/cmake > build-baseline.log 2>&1) ||
    { tail -n 20 "$wt/build-baseline.log" >&2; echo "bundle: baseline $rev does not build" >&2; exit 1; }
  cp "$wt/build/cmake/Release/tunable.node" build/gpu-bundle/baseline.node
  echo "$rev $(git log -1 --format=%s "$rev" | cut -c1-100)" > build/gpu-bundle/baseline.txt
  echo "bundle: baseline addon from $rev"
else
  rm -f build/gpu-bundle/baseline.node build/gpu-bundle/baseline.txt
fi
du -sh dist build/cmake/Release/tunable.node build/gpu-bundle
