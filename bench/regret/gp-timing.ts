/**
 * The GPSampler's time per suggestion once a study holds N trials (issue 5: N = 100, 300, 1000; d = 6).
 *
 * A study of N COMPLETE trials at random points is built with the RandomSampler through ask/tell (fast),
 * then loaded from the same storage with a GPSampler, which is asked `--repeats` more trials; each is
 * timed over ask() + its six suggestFloat calls (the objective and tell() are not). The median is the
 * figure: the first suggestion also fits from scratch where later ones may warm-start, so it is shown apart.
 *
 * Run: npm run bench:gp-sampler [-- options]
 *   --trials 100,300,1000   study sizes
 *   --repeats 7             suggestions timed per size
 *   --options '{"…":…}'     extra GPSampler options (JSON), e.g. a backend
 *   --write                 replace the "### GPSampler time per suggestion" part of bench/RESULTS.md
 */
import os from 'node:os';
import * as tunable from '../../src/index.js';
import { createStudy, loadStudy, MemoryStorage, RandomSampler, type Sampler, type Study } from '../../src/index.js';
import { writeResultsSection } from '../results-md.js';
import { hartmann6 } from './functions.js';
import { GP_TIMING_SECTION, SECTION } from './sections.js';
import { median } from './stats.js';

const D = 6;
/** Issue 5's goal: a suggestion within this many ms at 300 trials. */
const GOAL_N = 300;
const GOAL_MS = 100;

const argv = process.argv.slice(2);
const value = (name: string, dflt: string): string => {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  if (v === undefined) throw new Error(`${name} needs a value`);
  return v;
};
for (const a of argv) {
  if (a.startsWith('--') && !['--trials', '--repeats', '--options', '--write'].includes(a)) throw new Error(`unknown option ${a}`);
}
const sizes = value('--trials', '100,300,1000').split(',').map(Number);
const repeats = Number(value('--repeats', '7'));
const extra = JSON.parse(value('--options', '{}')) as Record<string, unknown>;
if (!sizes.every((n) => Number.isInteger(n) && n > 0) || !Number.isInteger(repeats) || repeats < 1) {
  throw new Error('--trials takes positive integers, --repeats a positive integer');
}

type SamplerCtor = new (opts: Record<string, unknown>) => Sampler;
const GPSampler = (tunable as Record<string, unknown>).GPSampler as SamplerCtor | undefined;

async function suggestAndTell(study: Study): Promise<number> {
  const t0 = performance.now();
  const trial = await study.ask();
  const x = Array.from({ length: D }, (_, i) => trial.suggestFloat(`x${i}`, 0, 1));
  const ms = performance.now() - t0;
  await study.tell(trial, hartmann6(x));
  return ms;
}

/** A GP-sampled study that already holds `n` random COMPLETE trials. */
async function studyWith(n: number, Gp: SamplerCtor): Promise<Study> {
  const storage = new MemoryStorage();
  const studyName = `gp-timing-${n}`;
  const filler = await createStudy({ storage, studyName, sampler: new RandomSampler({ seed: n }) });
  for (let i = 0; i < n; i++) await suggestAndTell(filler);
  return loadStudy({ storage, studyName, sampler: new Gp({ seed: 0, ...extra }) });
}

interface Row {
  readonly n: number;
  readonly times: readonly number[];
}

async function measure(Gp: SamplerCtor): Promise<Row[]> {
  // Loads the engine and warms the JIT, so the first size does not pay for them.
  await suggestAndTell(await studyWith(20, Gp));
  const rows: Row[] = [];
  for (const n of sizes) {
    const study = await studyWith(n, Gp);
    const times: number[] = [];
    for (let k = 0; k < repeats; k++) times.push(await suggestAndTell(study));
    rows.push({ n, times });
    console.error(`n = ${n}: median ${median(times).toFixed(1)} ms, suggestions ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
  }
  return rows;
}

const started = new Date();
const load0 = os.loadavg()[0]!;
const rows = GPSampler === undefined ? null : await measure(GPSampler);
const cmd = `npm run bench:gp-sampler${argv.length ? ' -- ' + argv.join(' ') : ''}`;
const cpu = os.cpus();
const ms = (t: number): string => `${t.toFixed(t < 10 ? 2 : 1)} ms`;
const body = rows === null
  ? ['Not measured yet: `GPSampler` is not exported by src/index.ts. `npm run bench:gp-sampler -- --write` fills this in once it is.']
  : [
    `Command: \`${cmd}\`; run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC. Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ` +
      `${cpu.length} logical cores; Node ${process.version}; 1-min load average ${load0.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end.`,
    '',
    `d = ${D} (Hartmann-6 on [0, 1]⁶). A study of n COMPLETE random trials, then ${repeats} GPSampler suggestions, each timed over ask() + ` +
      `${D} suggestFloat calls (GPSampler options: ${JSON.stringify({ seed: 0, ...extra })}). Unlike the regrets above, these times depend on ` +
      'the machine\'s load: it was shared with other work, so they are upper bounds.',
    '',
    '| trials n | time per suggestion (median) | range | first suggestion | goal |',
    '|---:|---:|---:|---:|---|',
    ...rows.map(({ n, times }) => {
      const m = median(times);
      const goal = n === GOAL_N ? `≤ ${GOAL_MS} ms ${m <= GOAL_MS ? '✓' : '❌'}` : '—';
      return `| ${n} | ${ms(m)} | ${ms(Math.min(...times))}–${ms(Math.max(...times))} | ${ms(times[0]!)} | ${goal} |`;
    }),
  ];
const section = [GP_TIMING_SECTION, '', ...body, ''].join('\n');
console.log(section);
if (argv.includes('--write')) {
  writeResultsSection(GP_TIMING_SECTION, section, SECTION);
  console.error(`wrote the "${GP_TIMING_SECTION}" part of the "${SECTION}" section of bench/RESULTS.md`);
}
