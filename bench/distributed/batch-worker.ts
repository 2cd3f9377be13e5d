/**
 * One worker process of bench/distributed/batch.ts. Its only argument is a JSON `Job`; it talks to the
 * orchestrator by lines: it prints `READY` once its study is loaded, waits for a line `go` on stdin (the
 * barrier), and prints one JSON result line per event (`{"event": ...}`).
 *
 * Modes:
 *   seed        create the study and run `nTrials` trials one after another (the shared history);
 *   spread      ask() once at the barrier, print the proposal, exit without telling (the trial stays RUNNING);
 *   regret      at the barrier, ask/evaluate/tell until the study has handed out `nTrials` trial numbers
 *               (a trial numbered past that, from a race at the end, is told FAIL unevaluated);
 *   sequential  create the study and run `nTrials` trials one after another, print the best value.
 *
 * Parameters are x0 … x{d−1} in [0, 1], mapped linearly onto the problem's box, so proposals are points
 * of the unit cube whatever the problem.
 */
import { createInterface } from 'node:readline';
import type { Distribution } from '../../src/distributions/index.js';
import { GP } from '../../src/engine/gp.js';
import type { FantasyName } from '../../src/engine/types.js';
import { createStudy, GPSampler, loadStudy, TPESampler, type Sampler, type Study, type StudyView, type Trial } from '../../src/index.js';
import { TrialState, type FrozenTrial } from '../../src/trial/index.js';
import { PROBLEMS, type Problem } from '../regret/functions.js';

export type SamplerKey = 'gp' | 'gp-no-pending' | 'gp-mean' | 'gp-min' | 'gp-max' | 'tpe' | 'tpe-no-liar';
export type Mode = 'seed' | 'spread' | 'regret' | 'sequential';

export interface Job {
  readonly mode: Mode;
  readonly storage: string;
  readonly studyName: string;
  readonly sampler: SamplerKey;
  /** Every worker of a study gets the same seed (the case where identical samplers must not collide). */
  readonly seed: number;
  readonly problem: string;
  /** seed / sequential: trials to run; regret: trial numbers to hand out in all. */
  readonly nTrials: number;
  /** regret: how long one evaluation takes (ms), so that workers' trials overlap. */
  readonly evalMs: number;
}

/** A worker's result line. */
export type Event =
  | { readonly event: 'proposal'; readonly number: number; readonly x: number[]; readonly at: number; readonly askMs: number }
  | { readonly event: 'done'; readonly trials: number; readonly at: number; readonly best?: number };

/**
 * The control for GPSampler, which has no switch for its pending points: the sampler sees a study
 * without RUNNING trials and, having no `usesPending`, asks without the study lock — as a sampler
 * unaware of the other workers would.
 */
class RunningHidden implements Sampler {
  constructor(private readonly inner: Sampler) {}

  private view(study: StudyView): StudyView {
    return {
      studyId: study.studyId,
      studyName: study.studyName,
      directions: study.directions,
      storage: study.storage,
      getTrials: async (o) => (await study.getTrials(o)).filter((t) => t.state !== TrialState.RUNNING),
      stop: () => study.stop(),
    };
  }

  inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Promise<Record<string, Distribution>> {
    return this.inner.inferRelativeSearchSpace(this.view(study), trial);
  }

  sampleRelative(study: StudyView, trial: FrozenTrial, space: Record<string, Distribution>): Promise<Record<string, number>> {
    return this.inner.sampleRelative(this.view(study), trial, space);
  }

  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): number {
    return this.inner.sampleIndependent(this.view(study), trial, name, distribution);
  }
}

/**
 * The comparison of the engine's pending-point fantasies (`fantasy`, src/engine/types.ts): the GPSampler
 * has no option for it, so this process's acquisition searches are given `fantasy` over whatever the
 * sampler passed. One worker process runs one sampler, so the override is for the whole process.
 */
function withFantasy(fantasy: FantasyName, seed: number): Sampler {
  const maximize = GP.prototype.maximizeAcquisition;
  GP.prototype.maximizeAcquisition = function (this: GP, o) {
    return maximize.call(this, { ...o, fantasy });
  };
  return new GPSampler({ seed });
}

const SAMPLERS: Readonly<Record<SamplerKey, (seed: number) => Sampler>> = {
  gp: (seed) => new GPSampler({ seed }),
  'gp-no-pending': (seed) => new RunningHidden(new GPSampler({ seed })),
  'gp-mean': (seed) => withFantasy('mean', seed),
  'gp-min': (seed) => withFantasy('min', seed),
  'gp-max': (seed) => withFantasy('max', seed),
  tpe: (seed) => new TPESampler({ seed }),
  'tpe-no-liar': (seed) => new TPESampler({ seed, constantLiar: false }),
};

function problemNamed(name: string): Problem {
  const p = PROBLEMS.find((q) => q.name === name);
  if (p === undefined) throw new Error(`unknown problem ${JSON.stringify(name)} (expected ${PROBLEMS.map((q) => q.name).join(', ')})`);
  return p;
}

/** Suggests x0 … x{d−1} in [0, 1]: the trial's point in the unit cube. */
function suggestPoint(t: Trial, d: number): number[] {
  return Array.from({ length: d }, (_, i) => t.suggestFloat(`x${i}`, 0, 1));
}

/** The problem's value at a point of the unit cube. */
function evaluate(p: Problem, u: readonly number[]): number {
  return p.fn(u.map((v, i) => p.bounds[i]![0] + v * (p.bounds[i]![1] - p.bounds[i]![0])));
}

const emit = (e: Event): void => {
  process.stdout.write(`${JSON.stringify(e)}\n`);
};

/** Resolves at the orchestrator's `go` line. */
function barrier(): Promise<void> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line.trim() !== 'go') return;
      rl.close();
      process.stdin.destroy();  // nothing more to read: let the process exit when its work is done
      resolve();
    });
    process.stdout.write('READY\n');
  });
}

async function sequentially(study: Study, p: Problem, n: number): Promise<void> {
  const d = p.bounds.length;
  for (let i = 0; i < n; i++) {
    const t = await study.ask();
    await study.tell(t, evaluate(p, suggestPoint(t, d)));
  }
}

async function run(job: Job): Promise<void> {
  const p = problemNamed(job.problem);
  const d = p.bounds.length;
  const sampler = SAMPLERS[job.sampler](job.seed);
  if (job.mode === 'seed' || job.mode === 'sequential') {
    const study = await createStudy({ storage: job.storage, studyName: job.studyName, sampler, direction: 'minimize' });
    await sequentially(study, p, job.nTrials);
    await study.refresh();
    emit({ event: 'done', trials: job.nTrials, at: Date.now(), ...(job.nTrials > 0 ? { best: study.bestValue } : {}) });
    await study.storage.close();
    return;
  }
  const study = await loadStudy({ storage: job.storage, studyName: job.studyName, sampler });
  await barrier();
  if (job.mode === 'spread') {
    const t0 = Date.now();
    const t = await study.ask();
    const x = suggestPoint(t, d);
    emit({ event: 'proposal', number: t.number, x, at: Date.now(), askMs: Date.now() - t0 });
    process.exit(0);  // without telling: the trial stays RUNNING, as when many workers have just started
  }
  let evaluated = 0;
  for (;;) {
    if ((await study.getTrials()).length >= job.nTrials) break;
    const t = await study.ask();
    if (t.number >= job.nTrials) {
      await study.tell(t, 'FAIL');
      break;
    }
    const value = evaluate(p, suggestPoint(t, d));
    await new Promise((r) => setTimeout(r, job.evalMs));
    await study.tell(t, value);
    evaluated++;
  }
  emit({ event: 'done', trials: evaluated, at: Date.now() });
  await study.storage.close();
}

await run(JSON.parse(process.argv[2] ?? '') as Job);
