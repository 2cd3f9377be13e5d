#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (its prepack puts the prebuilt engine in), then the tarball is
# installed into a fresh project whose PATH has no compiler, no CMake and no make, and used from there:
# the CLI demo, an ES import, require() from CommonJS, a strict type-check of a consumer
# (skipLibCheck: false), source maps, shipped docs and data. A second tarball without the prebuild checks
# the fallback: the install still succeeds, says what is missing, and the TypeScript samplers work.
#
# better-sqlite3 fetches its prebuilt binary from GitHub, which CI machines cannot reach, so it is
# installed first, built from source with the compiler present (about a minute); tunable's install then
# finds it in place. Run from the repository after `npm ci` (build/cmake/Release/tunable.node exists).
#
# Prints "package check: N passed, N failed" and exits non-zero on any failure; with
# TUNABLE_PACKAGE_COUNTS=<file> it also writes "N M" there (.ci/run adds them to its totals).
# TUNABLE_TARBALL=<file> checks that tarball instead of packing one; TUNABLE_KEEP=1 keeps the work folder.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d /tmp/tunable-package.XXXXXX)
[ "${TUNABLE_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "  ok   $1"; }
bad() { failed=$((failed + 1)); echo "  FAIL $1"; [ -z "${2:-}" ] || sed 's/^/       /' "$2" | tail -40; }
# check NAME COMMAND...: runs it with output in a log, shown when it fails.
check() {
  local name=$1 log="$work/log.$((passed + failed))"
  shift
  if "$@" >"$log" 2>&1; then ok "$name"; else bad "$name" "$log"; fi
}
finish() {
  echo "package check: $passed passed, $failed failed"
  [ -z "${TUNABLE_PACKAGE_COUNTS:-}" ] || echo "$passed $failed" >"$TUNABLE_PACKAGE_COUNTS"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}

# --- the tarball -------------------------------------------------------------------------------------
if [ -n "${TUNABLE_TARBALL:-}" ]; then
  tarball=$(readlink -f "$TUNABLE_TARBALL")
else
  if ! npm pack --pack-destination "$work" >"$work/pack.log" 2>&1; then
    bad "npm pack" "$work/pack.log"
    finish
  fi
  tarball="$work/$(tail -n 1 "$work/pack.log")"
fi
[ -f "$tarball" ] || { bad "npm pack produced a tarball ($tarball)"; finish; }
ok "npm pack: $(basename "$tarball") ($(du -k "$tarball" | cut -f1) kB)"
version=$(tar -xzOf "$tarball" package/package.json | node -e 'process.stdin.on("data", (d) => process.stdout.write(JSON.parse(d).version))')

# The same package without its prebuild: what a platform without one installs.
mkdir -p "$work/noprebuild"
tar -xzf "$tarball" -C "$work/noprebuild"
rm -rf "$work/noprebuild/package/prebuilds"
tar -czf "$work/tunable-noprebuild.tgz" -C "$work/noprebuild" package
rm -rf "$work/noprebuild"

# --- a PATH without build tools ----------------------------------------------------------------------
bin="$work/bin"
mkdir -p "$bin"
ln -s "$(command -v node)" "$bin/node"
ln -s "$(readlink -f "$(command -v npm)")" "$bin/npm"
ln -s "$(readlink -f "$(command -v npx)")" "$bin/npx"
for tool in sh bash env cat ls mkdir rm cp mv ln chmod dirname basename uname grep sed head tail tee tr wc sort mktemp touch true false; do
  p=$(command -v "$tool") && ln -s "$p" "$bin/$tool"
done
# Only HOME (npm's cache and config), proxies and this PATH come through.
pass=()
for v in $(env | grep -iE '^(https?_proxy|no_proxy|npm_config_cache|npm_config_registry)=' | cut -d= -f1); do pass+=("$v=${!v}"); done
nobuild() { env -i HOME="$HOME" PATH="$bin" "${pass[@]}" TUNABLE_LOG=warning "$@"; }
check "no compiler, CMake or make on the consumer's PATH" \
  nobuild sh -c '! command -v g++ && ! command -v cc && ! command -v c++ && ! command -v cmake && ! command -v make && ! command -v gcc'

# --- a consumer project ------------------------------------------------------------------------------
base="$work/base"
mkdir -p "$base"
cat >"$base/package.json" <<'EOF'
{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }
EOF
sqlite_spec=$(tar -xzOf "$tarball" package/package.json | node -e 'process.stdin.on("data", (d) => process.stdout.write(JSON.parse(d).dependencies["better-sqlite3"]))')
# With the compiler: better-sqlite3 built from source (see above), and the consumer's own TypeScript.
if ! (cd "$base" && npm install --no-audit --no-fund "better-sqlite3@$sqlite_spec" typescript@5 @types/node@20 >"$work/base.log" 2>&1); then
  bad "consumer project: better-sqlite3, typescript" "$work/base.log"
  finish
fi
ok "consumer project: better-sqlite3 $sqlite_spec built from source, typescript"
cp -a "$base" "$work/fallback"
app="$base"

# --- install with the prebuild, no compiler ---------------------------------------------------------
t0=$(date +%s)
check "npm install <tarball> without a compiler" \
  nobuild sh -c "cd '$app' && npm install --no-audit --no-fund --foreground-scripts '$tarball'"
grep -h '^tunable:' "$work/log.$((passed + failed - 1))" | sed 's/^/       /'
echo "       ($(($(date +%s) - t0)) s)"
pkg="$app/node_modules/tunable"
check "the install used the prebuild (build/install.json), compiled nothing" \
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1] + "/build/install.json", "utf8"));
    if (s.engine !== "prebuild") throw new Error("engine: " + JSON.stringify(s));
    if (require("fs").existsSync(process.argv[1] + "/build/cmake")) throw new Error("build/cmake exists");' "$pkg"
check "no @tensorflow packages installed" sh -c "! ls -d '$app/node_modules/@tensorflow' 2>/dev/null"
check "tunable --version prints $version" \
  nobuild sh -c "cd '$app' && test \"\$(npx tunable --version)\" = '$version'"
check "npx tunable demo --n-trials 3 --storage sqlite:… (GPSampler on the prebuilt engine)" \
  nobuild sh -c "cd '$app' && npx tunable demo --n-trials 3 --storage 'sqlite:$work/demo.db' | tee /dev/stderr | grep -q 'with GPSampler: 3 trials'"
cp "$repo/test/package/esm.mjs" "$repo/test/package/cjs.cjs" "$repo/test/package/consumer.ts" "$repo/test/package/tsconfig.consumer.json" "$app/"
check "ES module import: GPSampler by default, backends include cpu" \
  nobuild sh -c "cd '$app' && node esm.mjs | tee /dev/stderr | grep -q '\"sampler\":\"GPSampler\",\"backends\":\\[.*\"cpu\"'"
check "CommonJS require('tunable') returns the ES module's exports" \
  nobuild sh -c "cd '$app' && node cjs.cjs | tee /dev/stderr | grep -q '\"loaded\":true,\"createStudy\":\"function\",\"same\":true'"
check "CommonJS require('tunable') where require() cannot load ES modules: ERR_REQUIRE_ESM naming import()" \
  nobuild sh -c "cd '$app' && node --no-experimental-require-module cjs.cjs | tee /dev/stderr | grep -q '\"loaded\":false,\"code\":\"ERR_REQUIRE_ESM\",\"message\":\".*import('"
check "tsc --noEmit, strict, skipLibCheck: false, over a consumer of the README's API" \
  nobuild sh -c "cd '$app' && node node_modules/typescript/bin/tsc -p tsconfig.consumer.json"
check "the type-checked consumer runs (fitGP on the prebuilt engine)" \
  nobuild sh -c "cd '$app' && node node_modules/typescript/bin/tsc -p tsconfig.consumer.json --noEmit false --outDir out && node out/consumer.js | tee /dev/stderr | grep -q '\"backends\":\\[.*\"cpu\".*\"fitted\":2'"
check "tunable plot → SVG and PNG from the package (ECharts server-side rendering, resvg; no browser)" \
  nobuild sh -c "cd '$app' && npx tunable plot history --study-name demo --storage 'sqlite:$work/demo.db' --out h.svg &&
    npx tunable plot importance --study-name demo --storage 'sqlite:$work/demo.db' --out i.png &&
    grep -q '<svg' h.svg && node -e 'const b = require(\"fs\").readFileSync(\"i.png\"); if (b.readUInt32BE(0) !== 0x89504e47) process.exit(1)'"
cp "$repo/test/package/dashboard.mjs" "$app/"
check "tunable dashboard from the package serves its page, bundle and API" \
  nobuild sh -c "cd '$app' && node dashboard.mjs 'sqlite:$work/demo.db' | tee /dev/stderr | grep -q '\"studies\":\[\"demo\"\]'"
check "tunable automl from the package (no tfjs: the MLP is left out), then tunable predict from the saved model" \
  nobuild sh -c "cd '$app' && npx tunable automl '$pkg/examples/data/breast_cancer.csv' --target benign --time-budget 15 --storage 'sqlite:$work/automl.db' --save model 2>automl.err | tail -3 &&
    grep -q 'TUNABLE_AUTOML_LEARNER_UNAVAILABLE' automl.err && test -s model/pipeline.json &&
    npx tunable predict model '$pkg/examples/data/breast_cancer.csv' --out p.csv && test \"\$(wc -l < p.csv)\" -eq 570"
check "tunable export --format optuna-journal and tunable import --from optuna-journal from the package" \
  nobuild sh -c "cd '$app' && npx tunable export --study-name demo --storage 'sqlite:$work/demo.db' --format optuna-journal --out demo.log &&
    npx tunable import --from optuna-journal demo.log --study-name demo --storage 'sqlite:$work/imported.db' &&
    npx tunable trials --study-name demo --storage 'sqlite:$work/imported.db' --format json | node -e 'let s=\"\";process.stdin.on(\"data\",d=>s+=d).on(\"end\",()=>{if(JSON.parse(s).length!==3)process.exit(1)})'"
check "tunable/tfjs without tfjs installed: hypergradientSearch, populationBasedTraining and nas load, and a call names the missing TensorFlow.js" \
  nobuild sh -c "cd '$app' && node --input-type=module -e '
    const m = await import(\"tunable/tfjs\");
    for (const k of [\"hypergradientSearch\", \"populationBasedTraining\", \"loadTf\"]) if (typeof m[k] !== \"function\") throw new Error(k);
    for (const k of [\"sequential\", \"cell\", \"darts\"]) if (typeof m.nas[k] !== \"function\") throw new Error(\"nas.\" + k);
    try { await m.hypergradientSearch({}); throw new Error(\"no error\"); } catch (e) { if (e.code !== \"ERR_BACKEND_UNAVAILABLE\") throw e; console.log(e.code); }
  ' | grep -q ERR_BACKEND_UNAVAILABLE"
check "every source map's sources are in the package" \
  node -e '
    const fs = require("fs"), path = require("path");
    let maps = 0;
    const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith(".map")) { maps++;
        for (const s of JSON.parse(fs.readFileSync(f, "utf8")).sources) {
          const src = path.resolve(path.dirname(f), s);
          if (!fs.existsSync(src)) throw new Error(f + " -> missing " + src);
        } } } };
    walk(path.join(process.argv[1], "dist"));
    console.log(maps + " maps");' "$pkg"
check "LICENSE (MIT), the README's docs and the demo's data are in the package" \
  sh -c "cd '$pkg' && grep -q 'MIT License' LICENSE && grep -q 'Copyright (c) 2026 the tunable authors' LICENSE &&
    for f in docs/reliability.md docs/workers.md docs/dashboard.md docs/plots.md docs/transfer.md docs/optuna.md docs/automl.md docs/hypergradient.md docs/pbt.md docs/nas.md docs/webgpu.md native/README.md native/gbdt/README.md src/pruners/README.md src/storage/README.md src/tfjs/README.md bench/RESULTS.md bench/gpu/README.md examples/data/breast_cancer.csv; do test -s \"\$f\" || { echo \"missing \$f\"; exit 1; }; done"
check "package.json: repository, homepage, bugs; the PostgreSQL the description names comes with it (pg)" \
  node -e '
    const p = require(process.argv[1] + "/package.json");
    if (!/github\.com\/tunable-js\/tunable/.test(p.repository?.url) || !p.homepage || !p.bugs?.url) throw new Error("repository/homepage/bugs");
    if (/postgres/i.test(p.description) && !p.dependencies?.pg) throw new Error("the description names PostgreSQL but pg is not a dependency");' "$pkg"

# --- the fallback: no prebuild, no compiler ----------------------------------------------------------
app="$work/fallback"
check "npm install <tarball without prebuild> without a compiler exits 0" \
  nobuild sh -c "cd '$app' && npm install --no-audit --no-fund --foreground-scripts '$work/tunable-noprebuild.tgz' 2>&1 | tee /dev/stderr | grep -q 'missing a C++17 compiler, CMake ≥ 3.15, make'"
cat >"$app/fallback.mjs" <<'EOF'
// Without the engine: the default sampler is TPE, and the first use says once what is missing and how to fix it.
import { createStudy, engine } from 'tunable';
const warnings = [];
process.on('warning', (w) => warnings.push(w.message));
const a = await createStudy();
const b = await createStudy();
await a.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 3 });
await new Promise((r) => setImmediate(r));
console.log(JSON.stringify({ sampler: a.sampler.constructor.name, backends: engine.backends(), warnings }));
EOF
check "without the engine: TPESampler, one warning naming the missing tools and 'npm rebuild tunable'" \
  nobuild sh -c "cd '$app' && node fallback.mjs | tee /dev/stderr | node -e '
    let s = \"\"; process.stdin.on(\"data\", (d) => (s += d)).on(\"end\", () => {
      const r = JSON.parse(s);
      if (r.sampler !== \"TPESampler\" || r.backends.length !== 0) process.exit(1);
      const w = r.warnings.filter((m) => m.includes(\"native GP engine\"));
      if (w.length !== 1 || !w[0].includes(\"missing a C++17 compiler\") || !w[0].includes(\"npm rebuild tunable\")) process.exit(1);
    })'"
check "without the engine: npx tunable demo --n-trials 3 runs (TPESampler)" \
  nobuild sh -c "cd '$app' && npx tunable demo --n-trials 3 --storage 'sqlite:$work/fallback.db' 2>&1 | tee /dev/stderr | grep -q 'with TPESampler: 3 trials'"

finish
