#!/usr/bin/env bash
# On a machine with a CUDA device: the CUDA-vs-CPU check (test/gpu/check.mjs) then the timings
# (bench/gpu/bench.mjs), within ~5 minutes. Needs dist/ and build/cmake/Release/tunable.node, and
# node on PATH or build/gpu-bundle/node.xz (see bench/gpu/README.md). Exit code: the check's, else the bench's.
set -uo pipefail
cd "$(dirname "$0")/../.."
NODE=$(command -v node || true)
if [ -z "$NODE" ]; then
  NODE=/tmp/tunable-node
  if [ ! -x "$NODE" ]; then
    [ -f build/gpu-bundle/node.xz ] || { echo "run.sh: no node on PATH and no build/gpu-bundle/node.xz" >&2; exit 3; }
    if command -v xz >/dev/null; then xz -dc build/gpu-bundle/node.xz > "$NODE"
    else python3 -c "import lzma, sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())" build/gpu-bundle/node.xz > "$NODE"; fi
    chmod +x "$NODE"
  fi
fi
echo "node: $NODE $("$NODE" --version)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
# The addon links libgomp/libstdc++ dynamically; fall back to the bundled copies when the device lacks them.
if ! "$NODE" -e "require('./build/cmake/Release/tunable.node')" 2>/dev/null; then
  export LD_LIBRARY_PATH="$PWD/build/gpu-bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "run.sh: using the bundled libraries in build/gpu-bundle/lib"
fi
# cuBLAS/cuSOLVER outside the loader path (pip wheels, a toolkit under /opt): point the shim at them.
if [ -z "${TUNABLE_CUDA_LIB_DIR:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so\.1[23] '; then
  dirs=$(find /usr/local /usr/lib /usr/lib64 /opt /root -maxdepth 9 \( -name 'libcublas.so.1[23]' -o -name 'libcusolver.so.1[12]' \
           -o -name 'libcusparse.so.1[12]' -o -name 'libnvJitLink.so.1[23]' \) -printf '%h\n' 2>/dev/null | sort -u | paste -sd: -)
  if [ -n "$dirs" ]; then
    export TUNABLE_CUDA_LIB_DIR="$dirs" LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "run.sh: TUNABLE_CUDA_LIB_DIR=$dirs (also on LD_LIBRARY_PATH)"
  fi
fi
"$NODE" -e "const a = require('./build/cmake/Release/tunable.node'); console.log('addon:', JSON.stringify(a.cudaStatus(true)))"
echo "=== check (CUDA vs CPU) ==="
timeout "${CHECK_TIMEOUT_S:-150}" "$NODE" test/gpu/check.mjs "$@"
check=$?
echo "=== bench ==="
BENCH_BUDGET_S=${BENCH_BUDGET_S:-100} timeout "${BENCH_TIMEOUT_S:-150}" "$NODE" bench/gpu/bench.mjs
bench=$?
echo "=== posterior: blocked dgemm solve against cuBLAS dtrsm ==="
timeout "${POSTERIOR_TIMEOUT_S:-60}" "$NODE" bench/gpu/posterior.mjs --debug '{"profile":true}' 2>&1 | grep -v "^predict: arguments [0-9.]* ms, queue [0-9.]* ms, compute [0-9]\.[0-9] ms"
timeout "${POSTERIOR_TIMEOUT_S:-60}" "$NODE" bench/gpu/posterior.mjs --debug '{"solve":"cublas"}'
for b in 64 256; do
  POSTERIOR_N=1000,5000 timeout "${POSTERIOR_TIMEOUT_S:-60}" "$NODE" bench/gpu/posterior.mjs --debug "{\"solveBlock\":$b}" | grep -E '^\| blocked|did not load'
done
# This tree's addon against the baseline build (bundle.sh with BASELINE=<rev>), alternating, in one run.
if [ -f build/gpu-bundle/baseline.node ]; then
  echo "=== posterior: this tree against the baseline $(cat build/gpu-bundle/baseline.txt) ==="
  for round in 1 2; do
    for who in this baseline; do
      addon=$([ "$who" = this ] && echo "$PWD/build/cmake/Release/tunable.node" || echo "$PWD/build/gpu-bundle/baseline.node")
      POSTERIOR_LABEL="$who, round $round" POSTERIOR_N=1000,5000 TUNABLE_NATIVE_ADDON="$addon" \
        timeout "${POSTERIOR_TIMEOUT_S:-60}" "$NODE" bench/gpu/posterior.mjs | grep -E '^\| blocked|did not load'
    done
  done
fi
echo "=== multi-start likelihood at small n: one batch per call against starts in turn ==="
timeout "${BATCH_TIMEOUT_S:-60}" "$NODE" bench/gpu/batch.mjs
timeout "${BATCH_TIMEOUT_S:-60}" "$NODE" bench/gpu/batch.mjs --debug '{"potrfBatchedMaxN":0}' | grep '^| batched'
timeout "${BATCH_TIMEOUT_S:-60}" "$NODE" bench/gpu/batch.mjs --debug '{"batchMaxN":0}' | grep '^| starts'
echo "=== pending points (fantasies as one block), cuda then cpu ==="
for b in cuda cpu; do BACKEND=$b timeout "${BATCH_TIMEOUT_S:-60}" "$NODE" bench/gp/pending.mjs; done
echo "=== check with 256-row solve blocks (posterior, covariance, Thompson) ==="
timeout "${CHECK_TIMEOUT_S:-150}" "$NODE" test/gpu/check.mjs --debug '{"solveBlock":256}' "$@" | grep -E "^FAIL|^check:"
if [ -f build/gpu-bundle/gp-timing.mjs ]; then
  echo "=== GPSampler time per suggestion (Hartmann-6), cuda then cpu backend ==="
  # (The per-call host split is posterior.mjs's `--debug '{"profile":true}'` run above: the GPSampler has no debug option.)
  for b in cuda cpu; do
    TUNABLE_NATIVE_ADDON="$PWD/build/cmake/Release/tunable.node" \
      timeout "${SAMPLER_TIMEOUT_S:-60}" "$NODE" build/gpu-bundle/gp-timing.mjs \
      --trials 300,1000 --repeats 5 --options "{\"backend\":\"$b\"}" 2>&1 | grep -E '^\||GPSampler options|^(fit|maximize): '
  done
fi
# Peer on the same device (BoTorch, when the device's python3 has it); its exit status is not ours.
if [ "${PEER:-1}" = 1 ] && command -v python3 >/dev/null && python3 -c "import botorch" 2>/dev/null; then
  echo "=== peer: BoTorch (bench/gpu/botorch_peer.py) ==="
  BUDGET_S=${PEER_BUDGET_S:-50} timeout "${PEER_TIMEOUT_S:-100}" python3 bench/gpu/botorch_peer.py || echo "run.sh: peer exit $?"
fi
echo "run.sh: check exit $check, bench exit $bench"
[ "$check" -ne 0 ] && exit "$check"
exit "$bench"
