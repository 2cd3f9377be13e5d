/**
 * Does TensorFlow.js train on WebGPU in Node, and how fast against wasm? A probe and a bench in one:
 * each route (a way for Dawn to reach a driver) runs in a child process of its own, because tfjs
 * registers its "webgpu" backend once per process on whatever navigator.gpu it found. A child
 *
 *   1. loads tfjs with loadTf({ candidates: ['webgpu'], webgpu: { flags, featureLevel } }); when that fails
 *      the route reports the reason loadTf gives and the lines Dawn and the Vulkan/EGL loaders printed on
 *      stderr (the driver's own reason, which no JavaScript API returns);
 *   2. checks a matMul against a float64 product computed in JavaScript;
 *   3. trains the same seeded MLP on digits (examples/data/digits.csv, 60/20/20 split, seed 0) for
 *      `--epochs` epochs on webgpu, then on wasm in the same process (same weights, same batch order),
 *      and reports the first epoch (shader compilation included) and the median of the others.
 *
 * Routes: "dawn-default" (Dawn's own choice: Vulkan on Linux), "opengles" (Dawn's OpenGL ES backend,
 * which offers only compatibility-level adapters; EGL_PLATFORM=surfaceless so Mesa needs no display), and
 * with `--vk-icd FILE` "vulkan-icd" (Vulkan through that ICD manifest, e.g. a newer lavapipe than the
 * system's, via VK_ICD_FILENAMES). On a GPU machine the default route is the one to read.
 *
 * Needs, besides the project's tfjs packages: npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0
 * (resolved like every tfjs package: from the working directory's project).
 *
 * Run: node --import tsx bench/tfjs/webgpu.ts [--epochs 4 --units 128,512 --routes dawn-default,opengles --vk-icd FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDigits } from '../../examples/digits/task.js';
import { buildMlp, disposeModel, evaluate, loadTf, trainAndEvaluate, type TfModule } from '../../src/tfjs/index.js';
import { resolvePackage } from '../../src/tfjs/instance.js';

const { values: flags } = parseArgs({
  options: {
    epochs: { type: 'string', default: '4' },
    units: { type: 'string', default: '128,512' },
    routes: { type: 'string', default: 'dawn-default,opengles,vulkan-icd' },
    'vk-icd': { type: 'string' },
    child: { type: 'string' }, // internal: the route a child process runs (JSON)
    out: { type: 'string', default: '' },
  },
});

interface Route {
  name: string;
  dawnFlags: string[];
  featureLevel?: 'compatibility';
  env: Record<string, string>;
}

interface BackendRun {
  backend: string;
  units: number;
  firstEpochS: number;
  laterEpochS: number; // median of epochs 2..E
  loss: number[]; // training loss per epoch
  testAcc: number;
  tensorsLeaked: number;
}

interface ChildResult {
  route: string;
  ok: boolean;
  reason?: string;
  description?: string;
  matMulMaxErr?: number;
  runs?: BackendRun[];
}

const EPOCHS = Number(flags.epochs);
const UNITS = flags.units.split(',').map(Number);

if (flags.child !== undefined) {
  console.log(JSON.stringify(await child(JSON.parse(flags.child) as Route)));
  // Dawn's instance lives as long as navigator.gpu refers to it; exit without waiting for it.
  process.exit(0);
} else {
  await parent();
}

async function child(route: Route): Promise<ChildResult> {
  const loaded = await loadTf({
    candidates: ['webgpu'],
    webgpu: { flags: route.dawnFlags, ...(route.featureLevel === undefined ? {} : { featureLevel: route.featureLevel }) },
  }).catch((err: unknown) => err as Error);
  if (loaded instanceof Error) return { route: route.name, ok: false, reason: loaded.message };
  const tf = loaded.tf;
  const matMulMaxErr = await matMulError(tf);
  const runs: BackendRun[] = [];
  for (const units of UNITS) {
    for (const backend of ['webgpu', 'wasm'] as const) {
      await loadTf({ candidates: [backend] });
      runs.push(await train(tf, backend, units));
    }
  }
  return { route: route.name, ok: true, description: loaded.description, matMulMaxErr, runs };
}

/** Largest |C - A·B| over a (128, 96) · (96, 64) product, against float64 sums in JavaScript. */
async function matMulError(tf: TfModule): Promise<number> {
  const [a, b, c] = tf.tidy(() => {
    const A = tf.randomUniform([128, 96], -1, 1, 'float32', 1);
    const B = tf.randomUniform([96, 64], -1, 1, 'float32', 2);
    return [A, B, tf.matMul(A, B)];
  });
  const [av, bv, cv] = await Promise.all([a.data(), b.data(), c.data()]);
  tf.dispose([a, b, c]);
  let worst = 0;
  for (let i = 0; i < 128; i++) {
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 96; k++) s += av[i * 96 + k]! * bv[k * 64 + j]!;
      worst = Math.max(worst, Math.abs(s - cv[i * 64 + j]!));
    }
  }
  return worst;
}

/** One seeded MLP (2 × `units` relu, dropout 0.1, Adam 1e-3, batch 32) trained EPOCHS epochs on `backend`. */
async function train(tf: TfModule, backend: string, units: number): Promise<BackendRun> {
  const before = tf.memory().numTensors;
  const digits = loadDigits(0); // created on the active backend
  const { model } = buildMlp(
    { layers: 2, units, learningRate: 1e-3, dropout: 0.1, batchSize: 32, activation: 'relu' },
    { inputDim: digits.inputDim, nClasses: digits.nClasses, seed: 1 },
  );
  const times: number[] = [];
  const loss: number[] = [];
  let testAcc: number;
  try {
    for (let e = 0; e < EPOCHS; e++) {
      const t0 = performance.now();
      const r = await trainAndEvaluate(model, { train: digits.train, valid: digits.valid }, { epochs: 1, batchSize: 32, seed: 100 + e });
      times.push((performance.now() - t0) / 1000);
      loss.push(r.history['loss']![0]!);
    }
    testAcc = (await evaluate(model, digits.test)).accuracy;
  } finally {
    disposeModel(model);
    digits.dispose();
  }
  const later = times.slice(1).sort((x, y) => x - y);
  return {
    backend,
    units,
    firstEpochS: times[0]!,
    laterEpochS: later.length === 0 ? NaN : later[Math.floor(later.length / 2)]!,
    loss,
    testAcc,
    tensorsLeaked: tf.memory().numTensors - before,
  };
}

async function parent(): Promise<void> {
  const wanted = flags.routes.split(',').map((s) => s.trim());
  const routes: Route[] = [];
  if (wanted.includes('dawn-default')) routes.push({ name: 'dawn-default', dawnFlags: [], env: {} });
  if (wanted.includes('opengles')) {
    routes.push({ name: 'opengles', dawnFlags: ['backend=opengles'], featureLevel: 'compatibility', env: { EGL_PLATFORM: process.env['EGL_PLATFORM'] ?? 'surfaceless' } });
  }
  if (wanted.includes('vulkan-icd') && flags['vk-icd'] !== undefined) {
    routes.push({ name: 'vulkan-icd', dawnFlags: ['backend=vulkan'], env: { VK_ICD_FILENAMES: flags['vk-icd'] } });
  }
  // Loaders complain without a runtime dir; a private one keeps their stderr to the point.
  const xdg = process.env['XDG_RUNTIME_DIR'] ?? '/tmp/tunable-xdg';
  mkdirSync(xdg, { recursive: true, mode: 0o700 });

  const versions = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'webgpu'].map((p) => `${p} ${versionOf(p)}`);
  const vulkan = (icd?: string) => vulkanSummary({ XDG_RUNTIME_DIR: xdg, ...(icd === undefined ? {} : { VK_ICD_FILENAMES: icd }) });
  const results: { route: Route; result: ChildResult; stderr: string[]; seconds: number }[] = [];
  for (const route of routes) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify(route), '--epochs', flags.epochs, '--units', flags.units], {
      env: { ...process.env, XDG_RUNTIME_DIR: xdg, ...route.env },
      encoding: 'utf8',
      timeout: 600_000,
    });
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    let result: ChildResult;
    try {
      result = JSON.parse(last) as ChildResult;
    } catch {
      result = { route: route.name, ok: false, reason: `child exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}` };
    }
    results.push({ route, result, stderr: nativeLines(r.stderr), seconds: (performance.now() - t0) / 1000 });
  }

  const lines: string[] = [];
  lines.push('## tfjs on WebGPU in Node (Dawn) against wasm', '');
  lines.push(`**Command**: \`node --import tsx bench/tfjs/webgpu.ts ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'), '');
  lines.push(`**Machine**: ${cpus().length}-core dev machine (${cpus()[0]?.model ?? 'unknown CPU'}), no GPU, shared with other jobs; Node ${process.version}; ${versions.join(', ')}`, '');
  lines.push(`**Date**: ${new Date().toISOString().slice(0, 10)}`, '');
  lines.push(`Vulkan devices (vulkaninfo --summary): system ICDs: ${vulkan()}${flags['vk-icd'] === undefined ? '' : `; with VK_ICD_FILENAMES=${flags['vk-icd']} (driver ${icdLibrary(flags['vk-icd'])}): ${vulkan(flags['vk-icd'])}`}`, '');
  lines.push('| route | webgpu backend | matMul max abs err | MLP units | backend | epoch 1 (s) | later epochs, median (s) | loss per epoch | test acc |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const { route, result } of results) {
    if (!result.ok) {
      lines.push(`| ${route.name} | **failed**: ${esc(result.reason ?? '')} | | | | | | | |`);
      continue;
    }
    for (const run of result.runs ?? []) {
      lines.push(
        `| ${route.name} | ${esc(result.description ?? '')} | ${result.matMulMaxErr?.toExponential(1)} | ${run.units} | ${run.backend} | ${run.firstEpochS.toFixed(2)} | ${run.laterEpochS.toFixed(2)} | ${run.loss.map((l) => l.toFixed(4)).join(', ')} | ${(run.testAcc * 100).toFixed(2)} % |`,
      );
    }
  }
  lines.push('');
  for (const { route, stderr, seconds } of results) {
    lines.push(`- ${route.name} (flags ${JSON.stringify(route.dawnFlags)}${route.featureLevel ? `, featureLevel ${route.featureLevel}` : ''}${Object.keys(route.env).length ? `, ${Object.entries(route.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}; ${seconds.toFixed(0)} s): ${stderr.length === 0 ? 'nothing on stderr' : `stderr: ${stderr.map((l) => `\`${l}\``).join(' ')}`}`);
  }
  const ok = results.flatMap(({ result }) => (result.ok ? (result.runs ?? []) : []));
  lines.push('', ...findings(results.map((r) => r.result), ok));
  const text = lines.join('\n');
  console.log(text);
  if (flags.out !== '') {
    mkdirSync(dirname(flags.out), { recursive: true });
    writeFileSync(flags.out, `${text}\n`);
  }
}

function findings(results: ChildResult[], runs: BackendRun[]): string[] {
  const out: string[] = [];
  const worked = results.filter((r) => r.ok).map((r) => r.route);
  const failed = results.filter((r) => !r.ok).map((r) => r.route);
  out.push(`Findings: webgpu trained on ${worked.length === 0 ? 'no route' : worked.join(', ')}${failed.length > 0 ? `; failed on ${failed.join(', ')}` : ''}.`);
  for (const r of results.filter((x) => x.ok)) {
    for (const units of UNITS) {
      const w = r.runs?.find((x) => x.backend === 'webgpu' && x.units === units);
      const m = r.runs?.find((x) => x.backend === 'wasm' && x.units === units);
      if (w === undefined || m === undefined) continue;
      const dLoss = Math.max(...w.loss.map((l, i) => Math.abs(l - m.loss[i]!)));
      out.push(
        `- ${r.route}, ${units} units: a later epoch takes ${(w.laterEpochS / m.laterEpochS).toFixed(1)}× as long on webgpu as on wasm ` +
          `(first epoch ${(w.firstEpochS / m.firstEpochS).toFixed(1)}×); training losses differ by at most ${dLoss.toExponential(1)}.`,
      );
    }
  }
  if (runs.length === 0) out.push('- Nothing trained: see the reasons above.');
  const leaks = runs.filter((r) => r.tensorsLeaked !== 0);
  if (leaks.length > 0) out.push(`- Tensors left after training: ${leaks.map((r) => `${r.backend}/${r.units}: ${r.tensorsLeaked}`).join(', ')}.`);
  return out;
}

/** The version of an installed package, or "not installed". */
function versionOf(specifier: string): string {
  const main = resolvePackage(specifier);
  if (main === null) return 'not installed';
  for (let dir = dirname(main); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === specifier) return manifest.version ?? '?';
    } catch {
      // no package.json at this level
    }
  }
  return '?';
}

/** The driver library an ICD manifest names. */
function icdLibrary(file: string): string {
  try {
    return String((JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: unknown } }).ICD?.library_path ?? '?');
  } catch (err) {
    return `unreadable manifest: ${(err as Error).message}`;
  }
}

function vulkanSummary(env: Record<string, string>): string {
  const r = spawnSync('vulkaninfo', ['--summary'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  if (r.error !== undefined) return `vulkaninfo not available (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  const names = [...r.stdout.matchAll(/deviceName\s*=\s*(.+)\n[\s\S]*?driverInfo\s*=\s*(.+)/g)].map((m) => `${m[1]!.trim()} [${m[2]!.trim()}]`);
  return names.length === 0 ? `no device (exit ${r.status})` : names.join('; ');
}

/** The native diagnostics of a child (Dawn's warnings, loader errors), deduplicated, without stack frames. */
function nativeLines(stderr: string): string[] {
  const keep = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(Warning|Error|error|libEGL)\b|^- While/.test(l));
  return [...new Set(keep)].slice(0, 8);
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
