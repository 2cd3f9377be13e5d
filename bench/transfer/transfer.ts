/**
 * Transfer learning: how much do finished studies of related tasks (sources) speed up a new one?
 * The simple regret of a target study after 5, 10, 20 and 40 trials, cold and with its sources, on
 * task families built from the reference problems (tasks.ts), and the validation error of a digits MLP
 * tuned after a study on a subsample (digits.ts). Prints the "## Transfer learning (issue 21)" section
 * of bench/RESULTS.md.
 *
 * Run: node --import tsx bench/transfer/transfer.ts [options]
 *   --seeds 0-19            seeds of the synthetic families, as ranges and lists (0-4,7)
 *   --families a,b,…        subset of shift, scale, dims, unrelated, adversarial (or their letters a–e)
 *   --problems a,b          subset of branin, hartmann6
 *   --trials 40             target trials (checkpoints past it are dropped)
 *   --variants a,b,…        subset of gp, gp+transfer, gp+enqueue, tpe, tpe+transfer (default: all)
 *   --digits-seeds 0-9      seeds of the digits case, or "none" to skip it
 *   --digits-epochs 8, --digits-source-trials 20, --digits-trials 10, --digits-source-rows 300
 *   --write                 replace this bench's section of bench/RESULTS.md
 * Quick look: --seeds 0-2 --trials 20 --digits-seeds none
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { setLogLevel } from '../../src/index.js';
import { writeResultsSection } from '../results-md.js';
import { runDigits, type DigitsResult } from './digits.js';
import { digitsTable, familyName, GOALS, lateCosts, noiseFloor, ratioTable, regretTable, SECTION, verdicts } from './report.js';
import { CHECKPOINTS, runSynthetic, SOURCE_TRIALS, type SyntheticResult } from './synthetic.js';
import { FAMILIES, FAMILY_LETTER, PROBLEMS, SHIFT, type Family } from './tasks.js';
import { RESEED, VARIANT_KEYS, variants } from './variants.js';

const { values: flags } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0-19' },
    families: { type: 'string', default: FAMILIES.join(',') },
    problems: { type: 'string', default: PROBLEMS.map((p) => p.name).join(',') },
    trials: { type: 'string', default: '40' },
    variants: { type: 'string', default: VARIANT_KEYS.join(',') },
    'digits-seeds': { type: 'string', default: '0-9' },
    'digits-epochs': { type: 'string', default: '8' },
    'digits-source-trials': { type: 'string', default: '20' },
    'digits-trials': { type: 'string', default: '10' },
    'digits-source-rows': { type: 'string', default: '300' },
    write: { type: 'boolean', default: false },
  },
});

function parseSeeds(flag: string, spec: string): number[] {
  if (spec === 'none') return [];
  const seeds: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (m === null) throw new Error(`--${flag}: expected ranges like 0-9 or 0-4,7, got ${JSON.stringify(spec)}`);
    for (let s = Number(m[1]); s <= Number(m[2] ?? m[1]); s++) seeds.push(s);
  }
  return seeds;
}

function count(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter((x) => x !== '');

function parseFamilies(spec: string): Family[] {
  return list(spec).map((s) => {
    const f = FAMILIES.find((x) => x === s || FAMILY_LETTER[x] === s);
    if (f === undefined) throw new Error(`--families: unknown ${JSON.stringify(s)} (expected ${FAMILIES.map((x) => `${x} (${FAMILY_LETTER[x]})`).join(', ')})`);
    return f;
  });
}

const seedText = (seeds: readonly number[]): string =>
  seeds.every((s, i) => i === 0 || s === seeds[i - 1]! + 1) && seeds.length > 1 ? `${seeds[0]}–${seeds.at(-1)}` : seeds.join(', ');

async function main(): Promise<void> {
  setLogLevel('warning');
  const argv = process.argv.slice(2);
  const seeds = parseSeeds('seeds', flags.seeds);
  const families = parseFamilies(flags.families);
  const problems = list(flags.problems);
  const trials = count('trials', flags.trials, 2);
  const digitsSeeds = parseSeeds('digits-seeds', flags['digits-seeds']);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const vs = variants(list(flags.variants));
  const notes: string[] = [];
  const keys = vs.map((v) => v.key);

  const started = new Date();
  const load0 = os.loadavg()[0]!;
  const synthetic: SyntheticResult | null =
    seeds.length === 0 || families.length === 0 ? null : await runSynthetic({ problems, families, seeds, trials, variants: vs }, log);
  notes.push(...(synthetic?.failures ?? []));
  if (synthetic !== null) log(`synthetic: ${synthetic.seconds.toFixed(0)} s (sources ${synthetic.sourceSeconds.toFixed(0)} s)`);
  const digits: DigitsResult | null =
    digitsSeeds.length === 0
      ? null
      : await runDigits({
          seeds: digitsSeeds,
          sourceTrials: count('digits-source-trials', flags['digits-source-trials'], 1),
          targetTrials: count('digits-trials', flags['digits-trials'], 1),
          epochs: count('digits-epochs', flags['digits-epochs'], 1),
          sourceRows: count('digits-source-rows', flags['digits-source-rows'], 10),
          variants: vs,
        }, log);
  notes.push(...(digits?.failures ?? []));
  if (digits !== null) log(`digits: ${digits.seconds.toFixed(0)} s`);
  const seconds = (Date.now() - started.getTime()) / 1000;

  const cpu = os.cpus();
  const cmd = `node --import tsx bench/transfer/transfer.ts${argv.length ? ' ' + argv.join(' ') : ''}`;
  const out: string[] = [
    SECTION,
    '',
    `Command: \`${cmd}\`; run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, took ${seconds.toFixed(0)} s` +
      (synthetic && digits ? ` (synthetic families ${synthetic.seconds.toFixed(0)} s, of which source studies ${synthetic.sourceSeconds.toFixed(0)} s; digits ${digits.seconds.toFixed(0)} s)` : '') + '.',
    '',
    `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} logical cores; Node ${process.version}; 1-min load average ${load0.toFixed(1)} at the start, ` +
      `${os.loadavg()[0]!.toFixed(1)} at the end (shared with other work: the ms/trial and seconds are upper bounds; regrets and errors are seeded and load-independent).`,
    '',
    'Samplers: `gp` = `new GPSampler({ seed })` (10 Sobol\' startup trials, then the GP); `gp+transfer` = the same with ' +
      '`transferFrom: sources` (the best source configurations first, then the ranking-weighted ensemble of a GP per source and ' +
      `the target's own GP); \`gp+enqueue\` = the cold GP after \`enqueueFromSources(study, sources, { n })\` with n one per source (the GPSampler's ` +
      `own start, alone); \`gp-reseeded\` = the cold GP with seed + ${RESEED} (how far two cold runs' medians differ by chance); \`tpe\` = \`new TPESampler({ seed })\`, \`tpe+transfer\` with \`transferFrom: sources\`. Every variant but \`gp-reseeded\` gets the seed as its ` +
      'sampler seed; source studies are given as the loaded `Study` objects.',
    '',
  ];
  if (synthetic !== null) {
    const judged = verdicts(synthetic, families, problems);
    out.push(
      `### Synthetic task families`,
      '',
      `Problems ${problems.join(', ')} (bench/regret/functions.ts, the domains of bench/reference/functions.py). Each source study: ` +
        `${SOURCE_TRIALS} trials of a seeded GPSampler, run once per (problem, seed) and shared by every variant. Families: ` +
        `(a) shift: the target and 3 sources each take f(x − δ), δ uniform in ±${SHIFT * 100} % of each range (the minimum stays inside the domain); ` +
        '(b) scale: the target is f, 3 sources a·f(x) + b + Σⱼ wⱼ(uⱼ − ½) with a ∈ [0.5, 2], b and wⱼ within ±1 and ±0.1 of f\'s standard deviation over the domain (uⱼ: x in [0, 1]); ' +
        `(c) dims: the target is f; one source has an extra parameter x${'{d}'} the function ignores, two lack one of the target's parameters ` +
        `(held within ±${SHIFT * 100} % of a minimiser's coordinate); ` +
        '(d) unrelated: two shift sources of (a) and Ackley on the same parameter names and domain; ' +
        '(e) adversarial: one source, −f (its best points are the target\'s worst). ' +
        `Simple regret = best target value so far − the exact minimum; median [q1, q3] over seeds ${seedText(seeds)} (${seeds.length} seeds; quartiles as numpy.percentile).`,
      '',
      regretTable(synthetic, families, problems, keys),
      '',
      'Ratios of median regrets (each sampler with sources ÷ the same sampler cold), and in how many seeds the run with sources ended at least as low as the cold run of that seed:',
      '',
      ratioTable(synthetic, families, problems, keys),
      '',
      'Goals (issue 21), judged on the GP (median regret with sources ÷ cold):',
      '',
      ...judged.map((v) => `- ${familyName(v.family)}, ${v.problem}: ${v.met === null ? '—' : v.met ? '✓' : '❌'} ${v.text}.`),
      '',
    );
    const late = lateCosts(synthetic, families, problems, keys.filter((k) => k.includes('+')));
    const spread = noiseFloor(synthetic, families, problems);
    if (spread !== null) {
      out.push(
        `Spread between cold runs: the cold GP with other seeds (\`gp-reseeded\`) ends after ${synthetic.checkpoints.at(-1)} trials at ${spread} × the cold GP's ` +
          `median regret (per family and problem, over the same ${seeds.length} seeds). A goal of "within 1.2 × cold" at ${synthetic.checkpoints.at(-1)} trials lies inside ` +
          'that spread: a ratio there is not the cost of the sources alone.',
        '',
      );
    }
    out.push(
      late.length === 0
        ? `With sources, no sampler ends more than 1.2 × worse than cold after ${synthetic.checkpoints.at(-1)} trials.`
        : `With sources, these end more than 1.2 × worse than cold after ${synthetic.checkpoints.at(-1)} trials (median regret), ` +
          'the cost of a source once the target\'s own trials would have sufficed:',
      '',
      ...late.map((l) => `- ${l}`),
      ...(late.length ? [''] : []),
    );
    const missing = families.filter((f) => !synthetic.checkpoints.includes(GOALS[f].at));
    if (missing.length > 0) notes.push(`with --trials ${trials} the goals of ${missing.join(', ')} (at ${[...new Set(missing.map((f) => GOALS[f].at))].join(', ')} trials) are not judged.`);
    if (!CHECKPOINTS.every((k) => synthetic.checkpoints.includes(k))) notes.push(`checkpoints past ${trials} trials are left out.`);
  }
  if (digits !== null) {
    out.push(
      '### Digits MLP',
      '',
      `One hidden layer (relu) and a softmax, Adam, ${flags['digits-epochs']} epochs, batch 32, seeded training (${digits.backend}); ` +
        'tuned over learningRate (log, 1e-4–0.3), units (int, log, 8–256) and l2 (log, 1e-6–0.1, on both layers\' kernels), minimising validation error. ' +
        `Source: ${flags['digits-source-trials']} GP trials on ${digits.trainRows.source} training rows of one stratified split (seed 1000 + s); ` +
        `target: ${flags['digits-trials']} trials on all ${digits.trainRows.target} training rows of another (seed s), validated on its ${digits.trainRows.valid} rows ` +
        `(one image = ${(100 / digits.trainRows.valid).toFixed(2)} pp). Seeds ${seedText(digitsSeeds)}; best validation error so far, median [q1, q3]; ` +
        `the source's own best: median ${(100 * [...digits.sourceBest].sort((a, b) => a - b)[Math.floor(digits.sourceBest.length / 2)]!).toFixed(2)} %. ` +
        `One target training: ${digits.secondsPerTraining.toFixed(2)} s (median).`,
      '',
      digitsTable(digits),
      '',
    );
  }
  out.push(...notes.map((n) => `Note: ${n}`), ...(notes.length ? [''] : []));
  const section = out.join('\n');
  console.log(section);
  if (flags.write) {
    writeResultsSection(SECTION, section);
    log(`wrote the "${SECTION}" section of bench/RESULTS.md`);
  }
}

await main();
