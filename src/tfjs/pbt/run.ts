/**
 * Population-based training (Jaderberg et al. 2017) as a study mode: `population` members, each a trial
 * of the study, train side by side in synchronous rounds of `interval` epochs. At each round's end the
 * members are ranked by score; the bottom `quantile` copy the weights (through the checkpoint store) and
 * hyperparameters of a random member of the top `quantile`, then explore them (space.ts).
 *
 * Synchronous rounds rather than the paper's asynchronous workers: the ranking at a barrier does not
 * depend on which member finished first, so with a seed and deterministic training two runs follow the
 * same schedule whatever the interleaving. Every random choice comes from a generator derived from
 * (seed, round, member, purpose), never from a shared stream, for the same reason.
 *
 * Failure is a normal outcome: a member whose buildModel or train throws, or whose score is not finite,
 * has its trial told FAIL with the reason, and a new trial takes its slot (schedule.ts, `replaced`),
 * trained over the same interval so the population is whole at the barrier. A failing store or a
 * checkpoint that does not fit the model is not a member's fault: it stops the run.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { ParamValue } from '../../distributions/index.js';
import { InvalidArgumentError, PopulationFailedError } from '../../errors.js';
import { TrialState } from '../../trial/index.js';
import { deriveSeed } from '../../samplers/seed.js';
import type { Trial } from '../../study/trial.js';
import { Rng } from '../../util/rng.js';
import { describe, integer } from '../../validate.js';
import { disposeModel } from '../mlp.js';
import { loadIntoModel, saveModel } from './model-io.js';
import { resolvePbtOptions, type PbtTrainContext, type PopulationBasedTrainingOptions, type ResolvedPbtOptions } from './options.js';
import {
  ATTR_CONFIG,
  ATTR_MEMBER,
  ATTR_REPLACES,
  ATTR_SCHEDULE,
  type PbtFailure,
  type PbtMemberResult,
  type PbtResult,
  type ScheduleEntry,
  type ScheduleSource,
} from './schedule.js';
import { explore, sampleAll, type Hyperparameters } from './space.js';

interface Member {
  readonly slot: number;
  trial: Trial;
  hp: Hyperparameters;
  /** Checkpoint to load before the next interval; null: the model starts from buildModel's weights. */
  checkpoint: string | null;
  /** Score at the last barrier. */
  score: number | null;
  schedule: ScheduleEntry[];
  buildSeed: number;
  /** How many trials this slot has had (1 + replacements): seeds depend on it, not on trial numbers. */
  generation: number;
}

/** A member's state at a barrier, which replacements during the next round copy from. */
interface BarrierState {
  readonly slot: number;
  readonly trial: number;
  readonly hp: Hyperparameters;
  readonly checkpoint: string | null;
}

/** An error that ends the run (not a member's failure). */
class Fatal {
  constructor(readonly error: unknown) {}
}

const reasonOf = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** Runs population-based training on `opts.study`; resolves to the final population and every schedule. */
export async function populationBasedTraining(opts: PopulationBasedTrainingOptions): Promise<PbtResult> {
  const o = resolvePbtOptions(opts);
  // Members are enqueued and then asked for, and an ask takes the oldest WAITING trial: another one
  // queued on the study would become a member in its place.
  const waiting = await o.study.getTrials({ states: [TrialState.WAITING] });
  if (waiting.length > 0) {
    if (o.ownStore) await o.store.close?.();
    throw new InvalidArgumentError(
      `populationBasedTraining needs a study without WAITING trials, so that its members are the trials it enqueues; ` +
        `study ${JSON.stringify(o.study.studyName)} has ${waiting.length} (trial ${waiting.map((t) => t.number).join(', ')})`,
    );
  }
  const run = new PbtRun(o);
  try {
    return await run.run();
  } finally {
    if (o.ownStore) await o.store.close?.();
  }
}

class PbtRun {
  private readonly o: ResolvedPbtOptions;
  private members: Member[] = [];
  private readonly failures: PbtFailure[] = [];
  private readonly schedules: Record<number, ScheduleEntry[]> = {};
  private epochsTrained = 0;
  /** Keys saved and not yet deleted. */
  private readonly keys = new Set<string>();
  /** Asks go one at a time: each claims the trial just enqueued for it (see newTrial). */
  private asking: Promise<unknown> = Promise.resolve();

  constructor(o: ResolvedPbtOptions) {
    this.o = o;
  }

  private rng(round: number, slot: number, purpose: string): Rng {
    return new Rng(deriveSeed(this.o.seed, round, slot, purpose));
  }

  async run(): Promise<PbtResult> {
    const o = this.o;
    try {
      await o.study.setUserAttr(ATTR_CONFIG, {
        population: o.population,
        epochs: o.epochs,
        interval: o.interval,
        quantile: o.quantile,
        perturbFactors: [...o.perturbFactors],
        resampleProbability: o.resampleProbability,
        seed: o.seed,
        hyperparameters: o.space,
      });
      for (let slot = 0; slot < o.population; slot++) {
        const hp = sampleAll(o.space, this.rng(0, slot, 'init'));
        this.members.push({
          slot,
          trial: await this.newTrial(hp, slot, null),
          hp,
          checkpoint: null,
          score: null,
          schedule: [],
          buildSeed: deriveSeed(o.seed, 0, slot, 'build'),
          generation: 0,
        });
      }
      for (let round = 0, from = 0; from < o.epochs; round++, from += o.interval) {
        await this.round(round, from, Math.min(o.epochs, from + o.interval));
      }
      return await this.finish();
    } catch (err) {
      await this.abandon(err instanceof Fatal ? err.error : err);
      throw err instanceof Fatal ? err.error : err;
    }
  }

  /** A trial whose parameters are `hp` (enqueued, then asked: the study's sampler proposes nothing). */
  private newTrial(hp: Hyperparameters, slot: number, replaces: number | null): Promise<Trial> {
    const ask = async (): Promise<Trial> => {
      const userAttrs: Record<string, unknown> = { [ATTR_MEMBER]: slot };
      if (replaces !== null) userAttrs[ATTR_REPLACES] = replaces;
      await this.o.study.enqueueTrial({ ...hp } as Record<string, ParamValue>, { userAttrs });
      return this.o.study.ask(this.o.space);
    };
    const next = this.asking.then(ask, ask);
    this.asking = next.catch(() => undefined);
    return next;
  }

  private async round(round: number, from: number, to: number): Promise<void> {
    const o = this.o;
    const top = round === 0 ? [] : this.exploit(round, from);
    if (round === 0) for (const m of this.members) this.enter(m, { from, to, action: 'start', hyperparameters: m.hp, source: null, explore: null, replaces: null });
    const barrier: BarrierState[] = this.members.map((m) => ({ slot: m.slot, trial: m.trial.number, hp: m.hp, checkpoint: m.checkpoint }));

    const failed: Member[] = [];
    await pool(this.members, o.concurrency, async (m) => {
      if (!(await this.trainInterval(m, from, to))) failed.push(m);
    });
    if (failed.length === this.members.length) {
      const first = this.failures.slice(this.failures.length - failed.length).sort((a, b) => a.member - b.member)[0]!;
      throw new Fatal(
        new PopulationFailedError(
          `All ${failed.length} members of the population failed in epochs ${from}–${to}; the first (member ${first.member}, trial ${first.trial}): ${first.reason}`,
          this.failures,
        ),
      );
    }
    // Replacements in slot order, so their trial numbers and draws do not depend on who failed first.
    failed.sort((a, b) => a.slot - b.slot);
    await pool(failed, o.concurrency, async (m) => {
      for (let attempt = 0; ; attempt++) {
        if (this.failures.length > o.maxFailures) {
          const last = this.failures[this.failures.length - 1]!;
          throw new Fatal(
            new PopulationFailedError(
              `${this.failures.length} member failures, more than maxFailures = ${o.maxFailures}; the last (member ${last.member}, trial ${last.trial}, epochs ${last.from}–${last.to}): ${last.reason}`,
              this.failures,
            ),
          );
        }
        await this.replace(m, round, from, to, attempt, top.map((slot) => barrier[slot]!));
        if (await this.trainInterval(m, from, to)) return;
      }
    });
    // Checkpoints of the previous barrier are copied by nobody any more.
    const live = new Set(this.members.map((m) => m.checkpoint));
    for (const key of [...this.keys]) {
      if (live.has(key)) continue;
      this.keys.delete(key);
      await this.store(() => this.o.store.delete(key));
    }
  }

  /** Truncation selection at the barrier of epoch `at`; returns the slots of the top quantile, best first. */
  private exploit(round: number, at: number): number[] {
    const o = this.o;
    const sign = o.direction === 'maximize' ? -1 : 1;
    const ranked = [...this.members].sort((a, b) => sign * (a.score! - b.score!) || a.slot - b.slot);
    const n = Math.max(1, Math.floor(o.population * o.quantile));
    const top = ranked.slice(0, n);
    const bottom = new Set(ranked.slice(ranked.length - n).map((m) => m.slot));
    for (const m of this.members) {
      const to = Math.min(o.epochs, at + o.interval);
      if (!bottom.has(m.slot)) {
        this.enter(m, { from: at, to, action: 'continue', hyperparameters: m.hp, source: null, explore: null, replaces: null });
        continue;
      }
      const rng = this.rng(round, m.slot, 'exploit');
      const src = top[rng.int(top.length)]!;
      const { hyperparameters, steps } = explore(src.hp, o.space, rng, o.perturbFactors, o.resampleProbability);
      m.hp = hyperparameters;
      m.checkpoint = src.checkpoint;
      const source: ScheduleSource = { member: src.slot, trial: src.trial.number, epoch: at };
      this.enter(m, { from: at, to, action: 'exploit', hyperparameters, source, explore: steps, replaces: null });
    }
    return top.map((m) => m.slot);
  }

  /** A new trial for the slot of failed member `m`, copying a top member of the last barrier (if any). */
  private async replace(m: Member, round: number, from: number, to: number, attempt: number, top: readonly BarrierState[]): Promise<void> {
    const o = this.o;
    const rng = this.rng(round, m.slot, `replace:${attempt}`);
    const replaces = m.trial.number;
    let source: ScheduleSource | null = null;
    let steps = null;
    if (top.length === 0) {
      m.hp = sampleAll(o.space, rng);
      m.checkpoint = null;
    } else {
      const src = top[rng.int(top.length)]!;
      const e = explore(src.hp, o.space, rng, o.perturbFactors, o.resampleProbability);
      m.hp = e.hyperparameters;
      steps = e.steps;
      m.checkpoint = src.checkpoint;
      source = { member: src.slot, trial: src.trial, epoch: from };
    }
    m.generation++;
    m.buildSeed = deriveSeed(o.seed, round, m.slot, `build:${attempt}`);
    m.trial = await this.store(() => this.newTrial(m.hp, m.slot, replaces));
    m.schedule = [];
    this.enter(m, { from, to, action: 'replaced', hyperparameters: m.hp, source, explore: steps, replaces });
  }

  private enter(m: Member, e: Omit<ScheduleEntry, 'score' | 'error'>): void {
    m.schedule.push({ ...e, score: null, error: null });
    this.schedules[m.trial.number] = m.schedule;
  }

  /**
   * Trains member `m` over epochs [from, to): build, load its checkpoint, train, save. Returns false
   * when the member failed (its trial is then told FAIL); throws Fatal for a failure not its own.
   */
  private async trainInterval(m: Member, from: number, to: number): Promise<boolean> {
    const o = this.o;
    const entry = m.schedule[m.schedule.length - 1]!;
    let model: tfTypes.LayersModel | null = null;
    try {
      let built: unknown;
      try {
        built = await o.buildModel(m.hp, { member: m.slot, seed: m.buildSeed, tf: o.tf });
      } catch (err) {
        return await this.fail(m, from, to, `buildModel threw ${reasonOf(err)}`);
      }
      if (!isLayersModel(built)) return await this.fail(m, from, to, `buildModel returned ${describe(built)}, not a tf.LayersModel`);
      model = built;
      if (m.checkpoint !== null) {
        const key = m.checkpoint;
        const artifacts = await this.store(() => o.store.load(key));
        await this.store(() => loadIntoModel(o.tf, built as tfTypes.LayersModel, artifacts, o.optimizerState));
      }
      const reported = new Set<number>();
      const trial = m.trial;
      const ctx: PbtTrainContext = {
        model,
        hyperparameters: m.hp,
        from,
        to,
        epochs: to - from,
        member: m.slot,
        trial,
        seed: deriveSeed(o.seed, from, m.slot, `train:${m.generation}`),
        tf: o.tf,
        report: (value: number, epoch: number) => {
          integer('epoch', epoch, from, to - 1);
          trial.report(value, epoch);
          reported.add(epoch);
        },
      };
      let score: unknown;
      try {
        score = await o.train(ctx);
      } catch (err) {
        this.epochsTrained += to - from;
        return await this.fail(m, from, to, `train threw ${reasonOf(err)}`);
      }
      this.epochsTrained += to - from;
      if (typeof score !== 'number' || !Number.isFinite(score)) {
        return await this.fail(m, from, to, `train returned ${describe(score)}, not a finite number`);
      }
      if (!reported.has(to - 1)) trial.report(score, to - 1);
      const artifacts = await this.store(() => saveModel(o.tf, model!, o.optimizerState));
      const key = `trial-${trial.number}-epoch-${to}`;
      await this.store(() => o.store.save(key, artifacts));
      this.keys.add(key);
      m.checkpoint = key;
      m.score = score;
      entry.score = score;
      trial.setUserAttr(ATTR_SCHEDULE, structuredClone(m.schedule));
      return true;
    } finally {
      if (model !== null) disposeModel(model);
    }
  }

  /** Records member `m`'s failure and tells its trial FAIL; returns false (for trainInterval). */
  private async fail(m: Member, from: number, to: number, reason: string): Promise<false> {
    const entry = m.schedule[m.schedule.length - 1]!;
    entry.error = reason;
    this.failures.push({ member: m.slot, trial: m.trial.number, from, to, reason });
    await this.store(async () => {
      m.trial.setUserAttr(ATTR_SCHEDULE, structuredClone(m.schedule));
      await this.o.study.tell(m.trial, 'FAIL', { failReason: `Population-based training: member ${m.slot} failed in epochs ${from}–${to}: ${reason}` });
    });
    return false;
  }

  /** Runs a storage or checkpoint-store operation; its failure ends the run. */
  private async store<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw new Fatal(err);
    }
  }

  private async finish(): Promise<PbtResult> {
    const o = this.o;
    const sign = o.direction === 'maximize' ? -1 : 1;
    for (const m of this.members) await o.study.tell(m.trial, m.score!);
    await o.study.refresh();
    const members: PbtMemberResult[] = this.members.map((m) => ({
      member: m.slot,
      trial: m.trial.number,
      score: m.score!,
      hyperparameters: m.hp,
      schedule: m.schedule,
      checkpoint: o.ownStore ? null : m.checkpoint,
    }));
    const best = [...members].sort((a, b) => sign * (a.score - b.score) || a.member - b.member)[0]!;
    return Object.freeze({
      best,
      members: Object.freeze(members),
      failures: Object.freeze([...this.failures]),
      schedules: Object.freeze({ ...this.schedules }),
      seed: o.seed,
      epochsTrained: this.epochsTrained,
    });
  }

  /** After a fatal error: fails the members' running trials (never left RUNNING), best effort. */
  private async abandon(err: unknown): Promise<void> {
    for (const m of this.members) {
      if (m.trial.isFinished) continue;
      await this.o.study
        .tell(m.trial, 'FAIL', { failReason: `Population-based training stopped: ${reasonOf(err)}` })
        .catch(() => undefined);
    }
  }
}

function isLayersModel(v: unknown): v is tfTypes.LayersModel {
  return v !== null && typeof v === 'object' && typeof (v as tfTypes.LayersModel).fit === 'function' && Array.isArray((v as tfTypes.LayersModel).weights);
}

/** Runs `f` over `items`, at most `n` at once; the first error is thrown once every started call ended. */
async function pool<T>(items: readonly T[], n: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let error: { e: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < items.length && error === null) {
      const item = items[next++]!;
      try {
        await f(item);
      } catch (e) {
        error ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (error !== null) throw (error as { e: unknown }).e;
}
