/**
 * The synthetic part: for each (problem, seed), the source studies of every family (50 GP trials each,
 * run once and shared by every variant and by families that have the same source), then each variant's
 * target study, recording the simple regret after each checkpoint.
 *
 * A cold variant's target study does not depend on the sources, so it is run once per (target, seed)
 * and its result reused by every family with that target (shift and unrelated share one, scale, dims and
 * adversarial another).
 */
import { createStudy, GPSampler, TrialState, type Study } from '../../src/index.js';
import { instance, PROBLEMS, rngFor, suggest, type Family, type Task, type TargetTask } from './tasks.js';
import type { Variant } from './variants.js';

export const SOURCE_TRIALS = 50;
export const CHECKPOINTS = [5, 10, 20, 40] as const;

/** One target run. */
export interface Run {
  /** (checkpoints) best value − fmin after that many target trials. */
  readonly regrets: readonly number[];
  /** Wall time of the target study ÷ trials (sampler and study overhead; the functions cost microseconds). */
  readonly msPerTrial: number;
}

export interface SyntheticOptions {
  readonly problems: readonly string[];
  readonly families: readonly Family[];
  readonly seeds: readonly number[];
  readonly trials: number;
  readonly variants: readonly Variant[];
}

export interface SyntheticResult {
  /** The checkpoints ≤ trials (trials alone when it is below all). */
  readonly checkpoints: readonly number[];
  /** `${family}/${problem}/${variant}` → runs, one per seed in seed order. */
  readonly runs: ReadonlyMap<string, readonly Run[]>;
  /** Seconds spent running source studies, and in all. */
  readonly sourceSeconds: number;
  readonly seconds: number;
  /** Variants that threw, with the first error: they are dropped from then on, the rest of the table stands. */
  readonly failures: readonly string[];
}

const values = (study: Study): number[] =>
  [...study.trials].filter((t) => t.state === TrialState.COMPLETE).sort((a, b) => a.number - b.number).map((t) => t.values![0]!);

async function runSource(task: Task, seed: number): Promise<Study> {
  const study = await createStudy({
    storage: 'memory:',
    studyName: `${task.key}#${seed}`,
    sampler: new GPSampler({ seed: rngFor('source-sampler', task.key, seed).nextU32() >>> 1, warnIndependentSampling: false }),
  });
  await study.optimize((t) => task.fn(suggest(task, t)), { nTrials: SOURCE_TRIALS });
  return study;
}

async function runTarget(target: TargetTask, variant: Variant, seed: number, sources: readonly Study[], trials: number, checkpoints: readonly number[]): Promise<Run> {
  const study = await createStudy({ storage: 'memory:', sampler: variant.make(seed, sources) });
  const t0 = performance.now();
  await variant.prepare?.(study, sources);
  await study.optimize((t) => target.fn(suggest(target, t)), { nTrials: trials });
  const msPerTrial = (performance.now() - t0) / trials;
  const ys = values(study);
  const regrets = checkpoints.map((k) => Math.min(...ys.slice(0, k)) - target.fmin);
  return { regrets, msPerTrial };
}

export async function runSynthetic(o: SyntheticOptions, log: (line: string) => void): Promise<SyntheticResult> {
  const within = CHECKPOINTS.filter((k) => k <= o.trials);
  const checkpoints = within.length > 0 ? within : [o.trials];
  const runs = new Map<string, Run[]>();
  const started = performance.now();
  let sourceMs = 0;
  const failed = new Map<string, string>();
  for (const name of o.problems) {
    const problem = PROBLEMS.find((p) => p.name === name);
    if (problem === undefined) throw new Error(`--problems: unknown ${JSON.stringify(name)} (expected ${PROBLEMS.map((p) => p.name).join(', ')})`);
    for (const seed of o.seeds) {
      // Per (problem, seed): every source study, and every cold run by target key.
      const sourceStudies = new Map<string, Promise<Study>>();
      const coldRuns = new Map<string, Run>();
      for (const family of o.families) {
        const inst = instance(family, problem, seed);
        const s0 = performance.now();
        const sources: Study[] = [];
        for (const task of inst.sources) {
          let p = sourceStudies.get(task.key);
          if (p === undefined) sourceStudies.set(task.key, (p = runSource(task, seed)));
          sources.push(await p);
        }
        sourceMs += performance.now() - s0;
        const cells: string[] = [];
        for (const v of o.variants.filter((x) => !failed.has(x.key))) {
          const coldKey = `${v.key}/${inst.target.key}`;
          let run = v.usesSources ? undefined : coldRuns.get(coldKey);
          if (run === undefined) {
            try {
              run = await runTarget(inst.target, v, seed, sources, o.trials, checkpoints);
            } catch (err) {
              const why = `${v.key}: dropped, ${name} seed ${seed} ${family} threw ${err instanceof Error ? err.message : String(err)}`;
              failed.set(v.key, why);
              log(`note: ${why}`);
              continue;
            }
            if (!v.usesSources) coldRuns.set(coldKey, run);
          }
          const key = `${family}/${name}/${v.key}`;
          runs.set(key, [...(runs.get(key) ?? []), run]);
          cells.push(`${v.key} ${run.regrets.map((r) => r.toExponential(1)).join(' ')}`);
        }
        log(`${name} seed ${seed} ${family}: ${cells.join(' | ')}`);
      }
    }
  }
  // A variant that failed part-way has fewer runs than seeds: its rows would mix seeds, so they go.
  for (const k of [...runs.keys()]) if (failed.has(k.split('/')[2]!)) runs.delete(k);
  return { checkpoints, runs, sourceSeconds: sourceMs / 1000, seconds: (performance.now() - started) / 1000, failures: [...failed.values()] };
}
