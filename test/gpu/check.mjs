#!/usr/bin/env node
/**
 * CUDA-vs-CPU check of every engine routine (see compare.mjs), with no npm dependency: imports the
 * built dist/engine (run `npm run build:ts` first) and the cmake-js addon. Prints PASS/FAIL lines and a
 * summary; exit code 1 on any failure, 2 when the CUDA backend is not usable here (with the reason).
 *   node test/gpu/check.mjs [seed]
 *   node test/gpu/check.mjs --self-test [seed]   CPU against CPU (checks the harness on any machine)
 *   node test/gpu/check.mjs --debug '{"solveBlock":256}' [seed]   every CUDA model with that `debug` option
 */
import { engine } from '../../dist/engine/index.js';
import { BackendUnavailableError, NativeError, OutOfMemoryError } from '../../dist/errors.js';
import { cpuAsCuda, runComparisons, withDebug } from './compare.mjs';

const args = process.argv.slice(2);
const selfTest = args[0] === '--self-test';
if (selfTest) args.shift();
let debug;
if (args[0] === '--debug') {
  debug = JSON.parse(args[1]);
  args.splice(0, 2);
  console.log(`debug: ${JSON.stringify(debug)}`);
}
const st = engine.cudaStatus({ probeLibraries: true });
console.log(`CUDA: ${JSON.stringify(st)}`);
console.log(`backends: ${engine.backends().join(', ')}`);
if (!st.available && !selfTest) {
  console.log(`CUDA backend not usable here: ${st.reason}`);
  process.exit(2);
}
const t0 = performance.now();
const seed = args[0] === undefined ? undefined : Number(args[0]);
const base = selfTest ? cpuAsCuda(engine) : engine;
const { passed, failed } = await runComparisons(debug ? withDebug(base, debug) : base, { NativeError, BackendUnavailableError, OutOfMemoryError }, (name, ok, detail) => {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}  ${detail}`);
}, { seed });
console.log(`\ncheck: ${passed} passed, ${failed} failed (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
process.exit(failed > 0 ? 1 : 0);
