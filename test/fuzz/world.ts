/**
 * The system under test (four studies: two in one memory storage, two in one SQLite file, each with
 * one or more Study handles) together with the model of what each of them must contain, the
 * invariant checks, and a trace of every API call made, printed as code when an invariant breaks.
 */
import { join } from 'node:path';
import {
  createStudy,
  loadStudy,
  MemoryStorage,
  RandomSampler,
  TPESampler,
  TrialState,
  type FrozenTrial,
  type ParamValue,
  type Sampler,
  type Study,
  type Trial,
} from '../../src/index.js';
import type { DistSpec, ParamSpec, StudySpec } from './arbitraries.js';
import { describeError, diffMap, diffRecord, isBadName, isTyped, lit, settle } from './util.js';

export type State = 'WAITING' | 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL';

export function isFinal(s: State): boolean {
  return s === 'COMPLETE' || s === 'PRUNED' || s === 'FAIL';
}

/** What a trial holds: the stored record, or what its Trial object believes. */
export interface View {
  params: Map<string, ParamValue>;
  dists: Map<string, DistSpec>;
  attrs: Map<string, unknown>;
  ivs: Map<number, number>;
}

export function emptyView(): View {
  return { params: new Map(), dists: new Map(), attrs: new Map(), ivs: new Map() };
}

export function copyView(v: View): View {
  return { params: new Map(v.params), dists: new Map(v.dists), attrs: new Map(v.attrs), ivs: new Map(v.ivs) };
}

export interface TrialModel {
  readonly number: number;
  state: State;
  /** What the storage must hold. */
  stored: View;
  /** What the Trial object must report (null: no object in hand). */
  local: View | null;
  obj: Trial | null;
  /** The variable naming it in the trace. */
  readonly v: string;
  /** Index of the handle whose ask() started it (its number resolves to the object there). */
  askedBy: number | null;
  /** Parameters fixed by enqueueTrial (own keys only). */
  fixed: Map<string, unknown> | null;
  values: readonly number[] | null;
  /** true: some string; a string: exactly this; null: not checked. */
  failReason: true | string | null;
  /** Handles through which it was asked or told: their `trials` snapshot must list it. */
  readonly seenBy: Set<number>;
}

export interface StudyModel {
  readonly letter: string;
  readonly spec: StudySpec;
  readonly kind: 'memory' | 'sqlite';
  name: string;
  readonly handles: Study[];
  readonly trials: TrialModel[];
  readonly userAttrs: Map<string, unknown>;
  /** Whether its setup lines were added to the trace. */
  announced: boolean;
  readonly setup: string[];
}

export class Violation extends Error {}

// ---------------------------------------------------------------------------------------------------
// Distribution semantics, written out independently of the library

export function distEqual(a: DistSpec, b: DistSpec): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'categorical') {
    const bc = (b as Extract<DistSpec, { type: 'categorical' }>).choices;
    return a.choices.length === bc.length && a.choices.every((c, i) => c === bc[i]);
  }
  const bb = b as Exclude<DistSpec, { type: 'categorical' }>;
  return a.low === bb.low && a.high === bb.high && a.log === bb.log && a.step === bb.step;
}

/** Whether `v` is a legal value of `d` ("step divides" allows for the rounding of decimal steps). */
export function contains(d: DistSpec, v: unknown): boolean {
  if (d.type === 'categorical') return d.choices.includes(v as never);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < d.low || v > d.high) return false;
  if (d.type === 'int') return Number.isInteger(v) && (v - d.low) % d.step === 0;
  if (d.step === null) return true;
  const k = (v - d.low) / d.step;
  return Math.abs(k - Math.round(k)) <= 1e-8 * Math.max(1, Math.abs(k));
}

/** The JavaScript call suggesting `spec` on trial variable `tv`, and a function making it. */
export function suggestCall(tv: string, spec: ParamSpec, typed: boolean): { code: string; call: (t: Trial) => ParamValue } {
  const raw = spec.raw;
  const name = spec.name;
  if (typed && spec.typedOk) {
    if (raw['type'] === 'float' || raw['type'] === 'int') {
      const opts: Record<string, unknown> = {};
      if ('log' in raw) opts['log'] = raw['log'];
      if ('step' in raw) opts['step'] = raw['step'];
      const has = Object.keys(opts).length > 0;
      const method = raw['type'] === 'float' ? 'suggestFloat' : 'suggestInt';
      return {
        code: `${tv}.${method}(${lit(name)}, ${lit(raw['low'])}, ${lit(raw['high'])}${has ? `, ${lit(opts)}` : ''})`,
        call: (t) =>
          raw['type'] === 'float'
            ? t.suggestFloat(name, raw['low'] as number, raw['high'] as number, has ? (opts as never) : undefined)
            : t.suggestInt(name, raw['low'] as number, raw['high'] as number, has ? (opts as never) : undefined),
      };
    }
    if (raw['type'] === 'categorical') {
      return {
        code: `${tv}.suggestCategorical(${lit(name)}, ${lit(raw['choices'])})`,
        call: (t) => t.suggestCategorical(name, raw['choices'] as never),
      };
    }
  }
  return { code: `${tv}.suggestDistribution(${lit(name)}, ${lit(raw)})`, call: (t) => t.suggestDistribution(name, raw as never) };
}

export type SuggestExpectation =
  | { readonly kind: 'throw'; readonly why: string }
  | { readonly kind: 'same'; readonly value: ParamValue }
  | { readonly kind: 'fixed'; readonly value: ParamValue }
  | { readonly kind: 'sample' };

/** What suggesting `spec` on a running trial whose object holds `local` must do. */
export function expectSuggest(local: View, fixed: Map<string, unknown> | null, spec: ParamSpec): SuggestExpectation {
  if (isBadName(spec.name)) return { kind: 'throw', why: 'the name is empty or has a lone surrogate' };
  if (!spec.valid) return { kind: 'throw', why: 'the distribution is invalid' };
  const known = local.dists.get(spec.name);
  if (known !== undefined) {
    return distEqual(known, spec.dist) ? { kind: 'same', value: local.params.get(spec.name)! } : { kind: 'throw', why: 'it conflicts with the earlier suggestion' };
  }
  if (fixed !== null && fixed.has(spec.name)) {
    const v = fixed.get(spec.name);
    return contains(spec.dist, v) ? { kind: 'fixed', value: v as ParamValue } : { kind: 'throw', why: `the enqueued value ${lit(v)} is not in the distribution` };
  }
  return { kind: 'sample' };
}

// ---------------------------------------------------------------------------------------------------

const LETTERS = ['A', 'B', 'C', 'D'];

export class World {
  readonly studies: StudyModel[] = [];
  readonly trace: string[] = [];
  /** Resolvers of objectives that never return on their own (released at the end). */
  readonly hung: (() => void)[] = [];
  /** Violations found where throwing would be swallowed (inside objectives). */
  readonly deferred: string[] = [];
  readonly mem = new MemoryStorage();
  readonly url: string;
  readonly grace: boolean;
  private readonly opened: Study[] = [];

  private constructor(dbPath: string, grace: boolean) {
    this.url = `sqlite:${dbPath}`;
    this.grace = grace;
  }

  static async create(specs: readonly StudySpec[], dir: string, id: number, grace: boolean): Promise<World> {
    const w: World = new World(join(dir, `fuzz-${id}.db`), grace);
    const taken = new Set<string>();
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const kind = i < 2 ? 'memory' : 'sqlite';
      const letter = LETTERS[i]!;
      const setup: string[] = [];
      const storageKey = `${kind}:${spec.name}`;
      let name = spec.name;
      const code = (n: string): string =>
        `const ${letter}0 = await createStudy({ storage: ${kind === 'memory' ? 'mem' : 'url'}, studyName: ${lit(n)}, directions: ${lit(spec.directions)}, sampler: ${w.samplerCode(spec)} });`;
      const model: StudyModel = { letter, spec, kind, name, handles: [], trials: [], userAttrs: new Map(), announced: false, setup };
      w.studies.push(model);
      const mustRefuse = isBadName(name) || taken.has(storageKey);
      if (mustRefuse) {
        // A name that cannot be stored unchanged, or one already taken in this storage, must be refused.
        let err: unknown = null;
        let study: Study | null = null;
        try {
          study = await createStudy({ storage: w.storageFor(kind), studyName: name, directions: [...spec.directions], sampler: w.sampler(spec) });
          w.opened.push(study);
        } catch (e) {
          err = e;
        }
        if (study !== null || !isTyped(err)) {
          w.announce(model);
          w.trace.push(`${code(name)}  // ${study !== null ? 'succeeded' : `threw ${describeError(err)}`}`);
          w.fail('typed-error', `createStudy with studyName ${lit(name)} must throw a TunableError (${isBadName(name) ? 'not storable unchanged' : 'duplicate name'})`);
        }
        name = `${letter}-plain`;
      }
      model.name = name;
      taken.add(`${kind}:${name}`);
      setup.push(code(name));
      let study: Study;
      try {
        study = await createStudy({ storage: w.storageFor(kind), studyName: name, directions: [...spec.directions], sampler: w.sampler(spec) });
      } catch (e) {
        w.announce(model);
        w.fail('typed-error', `createStudy(${lit(name)}) threw ${describeError(e)}`);
      }
      w.opened.push(study);
      model.handles.push(study);
    }
    return w;
  }

  storageFor(kind: 'memory' | 'sqlite'): MemoryStorage | string {
    return kind === 'memory' ? this.mem : this.url;
  }

  sampler(spec: StudySpec): Sampler {
    return spec.sampler === 'random'
      ? new RandomSampler({ seed: spec.seed })
      : new TPESampler({ seed: spec.seed, nStartupTrials: 2, multivariate: true, warnIndependentSampling: false });
  }

  samplerCode(spec: StudySpec): string {
    return spec.sampler === 'random'
      ? `new RandomSampler({ seed: ${spec.seed} })`
      : `new TPESampler({ seed: ${spec.seed}, nStartupTrials: 2, multivariate: true, warnIndependentSampling: false })`;
  }

  /** Adds a study's creation (and its storage's) to the trace the first time a command uses it. */
  announce(s: StudyModel): void {
    if (s.announced) return;
    s.announced = true;
    if (!this.studies.some((o) => o !== s && o.kind === s.kind && o.announced)) {
      this.trace.push(s.kind === 'memory' ? `const mem = new MemoryStorage();` : `const url = ${lit(this.url)};`);
    }
    this.trace.push(...s.setup);
  }

  log(line: string): void {
    this.trace.push(line);
  }

  fail(invariant: string, detail: string): never {
    throw new Violation(`[${invariant}] ${detail}\n--- reproduction (API calls made, in order) ---\n${this.trace.join('\n')}\n---`);
  }

  /** Every error the library throws must be a TunableError with a string code. */
  requireTyped(e: unknown, during: string): void {
    if (!isTyped(e)) this.fail('typed-error', `${during} threw ${describeError(e)}, not a TunableError with a string code`);
  }

  /** Logs that `code` threw `e` and requires `e` to be a TunableError with a code. */
  threw(code: string, e: unknown): void {
    this.log(`${code}  // threw ${describeError(e)}`);
    this.requireTyped(e, code);
  }

  handleVar(s: StudyModel, h: number): string {
    return `${s.letter}${h}`;
  }

  /** Every trial object in hand, across studies (commands pick among them). */
  trialObjects(): { s: StudyModel; tm: TrialModel }[] {
    const out: { s: StudyModel; tm: TrialModel }[] = [];
    for (const s of this.studies) for (const tm of s.trials) if (tm.obj !== null) out.push({ s, tm });
    return out;
  }

  async reload(s: StudyModel): Promise<void> {
    this.announce(s);
    const h = s.handles.length;
    this.log(`const ${s.letter}${h} = await loadStudy({ studyName: ${lit(s.name)}, storage: ${s.kind === 'memory' ? 'mem' : 'url'}, sampler: ${this.samplerCode(s.spec)} });`);
    let study: Study;
    try {
      study = await loadStudy({ studyName: s.name, storage: this.storageFor(s.kind), sampler: this.sampler(s.spec) });
    } catch (e) {
      this.requireTyped(e, 'loadStudy');
      this.fail('reload', `loadStudy of an existing study threw ${describeError(e)}`);
    }
    this.opened.push(study);
    s.handles.push(study);
    if (study.directions.length !== s.spec.directions.length || study.directions.some((d, i) => d !== s.spec.directions[i])) {
      this.fail('read-back', `${s.letter}${h}.directions is ${lit(study.directions)}, expected ${lit(s.spec.directions)}`);
    }
    this.compareTrials(s, study.trials, `${s.letter}${h}.trials (just loaded)`);
  }

  // -------------------------------------------------------------------------------------------------
  // Invariants

  /** Checks every study through every handle against the model. */
  async check(): Promise<void> {
    await settle();
    if (this.deferred.length > 0) this.fail('objective', this.deferred[0]!);
    for (const s of this.studies) {
      for (let h = 0; h < s.handles.length; h++) {
        const study = s.handles[h]!;
        const hv = this.handleVar(s, h);
        let stored: FrozenTrial[];
        try {
          stored = await study.getTrials();
        } catch (e) {
          this.requireTyped(e, `${hv}.getTrials()`);
          this.fail('read-back', `${hv}.getTrials() threw ${describeError(e)}`);
        }
        this.compareTrials(s, stored, `await ${hv}.getTrials()`);
        if (h === 0) await this.checkStateFilters(s, study, hv);
        this.checkSnapshot(s, h, stored);
        let attrs: Record<string, unknown>;
        try {
          attrs = await study.getUserAttrs();
        } catch (e) {
          this.requireTyped(e, `${hv}.getUserAttrs()`);
          this.fail('read-back', `${hv}.getUserAttrs() threw ${describeError(e)}`);
        }
        const d = diffRecord(`await ${hv}.getUserAttrs()`, s.userAttrs, attrs);
        if (d !== null) this.fail('read-back', d);
      }
      for (const tm of s.trials) {
        if (tm.obj === null || tm.local === null) continue;
        const d = diffRecord(`${tm.v}.params`, tm.local.params, tm.obj.params) ?? diffRecord(`${tm.v}.userAttrs`, tm.local.attrs, tm.obj.userAttrs);
        if (d !== null) this.fail('read-back', d);
      }
    }
  }

  /** A list of stored trials must be exactly the model's: numbers 0..N-1, states, params, attrs, values. */
  compareTrials(s: StudyModel, stored: readonly FrozenTrial[], where: string): void {
    const numbers = stored.map((t) => t.number);
    const want = s.trials.map((t) => t.number);
    const gapFree = numbers.every((n, i) => n === i);
    if (!gapFree) this.fail('numbering', `${where}: trial numbers are ${lit(numbers)}, not 0..${numbers.length - 1} in order`);
    if (numbers.length !== want.length) {
      this.fail('numbering', `${where}: ${numbers.length} trial(s) stored, expected ${want.length} (states read back: ${lit(stored.map((t) => t.state))})`);
    }
    for (const tm of s.trials) {
      const d = diffTrial(stored[tm.number]!, tm);
      if (d !== null) this.fail(d.invariant, `${where}[${tm.number}] (${tm.v}): ${d.detail}`);
    }
  }

  /** getTrials({ states }) must return exactly the trials in those states, in number order. */
  private async checkStateFilters(s: StudyModel, study: Study, hv: string): Promise<void> {
    const groups: TrialState[][] = [[TrialState.RUNNING, TrialState.WAITING], [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL], [TrialState.FAIL]];
    for (const states of groups) {
      let got: FrozenTrial[];
      try {
        got = await study.getTrials({ states });
      } catch (e) {
        this.requireTyped(e, `${hv}.getTrials({ states })`);
        this.fail('read-back', `${hv}.getTrials({ states: ${lit(states)} }) threw ${describeError(e)}`);
      }
      const want = s.trials.filter((t) => states.includes(t.state as TrialState)).map((t) => t.number);
      const numbers = got.map((t) => t.number);
      if (numbers.length !== want.length || numbers.some((n, i) => n !== want[i])) {
        this.fail('read-back', `await ${hv}.getTrials({ states: ${lit(states)} }) gave trials ${lit(numbers)}, expected ${lit(want)}`);
      }
    }
  }

  /**
   * `study.trials` is a snapshot: it may lag behind the storage, but every entry must be a trial of this
   * study (same id and number), a finished entry must equal the stored trial, and the trials this
   * handle asked or told must be listed.
   */
  private checkSnapshot(s: StudyModel, h: number, stored: readonly FrozenTrial[]): void {
    const hv = this.handleVar(s, h);
    const snap = s.handles[h]!.trials;
    const seen = new Set<number>();
    for (const t of snap) {
      const st = stored[t.number];
      if (st === undefined || st.trialId !== t.trialId) {
        this.fail('foreign-write', `${hv}.trials lists trial number ${t.number} (id ${t.trialId}), which is not a trial of this study (stored: ${st === undefined ? 'none' : `id ${st.trialId}`})`);
      }
      if (seen.has(t.number)) this.fail('numbering', `${hv}.trials lists trial number ${t.number} twice`);
      seen.add(t.number);
      if (isFinal(t.state as State)) {
        const tm = s.trials[t.number]!;
        const d = diffTrial(t, tm);
        if (d !== null) this.fail(d.invariant, `${hv}.trials[number ${t.number}] (${tm.v}): ${d.detail}`);
      }
    }
    for (const tm of s.trials) {
      if (tm.seenBy.has(h) && !seen.has(tm.number)) {
        this.fail('read-back', `${hv}.trials does not list trial ${tm.number} (${tm.v}), which was asked or told through ${hv}`);
      }
    }
  }

  /** Reads every study through a freshly loaded Study on the same storage. */
  async checkFreshLoad(): Promise<void> {
    for (const s of this.studies) {
      const opened = s.kind === 'sqlite';
      let fresh: Study;
      try {
        fresh = await loadStudy({ studyName: s.name, storage: this.storageFor(s.kind) });
      } catch (e) {
        this.announce(s);
        this.requireTyped(e, 'loadStudy');
        this.fail('read-back', `a fresh loadStudy({ studyName: ${lit(s.name)} }) threw ${describeError(e)}`);
      }
      try {
        this.compareTrials(s, fresh.trials, `(await loadStudy({ studyName: ${lit(s.name)}, storage: ${s.kind === 'memory' ? 'mem' : 'url'} })).trials`);
        const d = diffRecord(`fresh loadStudy(${lit(s.name)}).getUserAttrs()`, s.userAttrs, await fresh.getUserAttrs());
        if (d !== null) this.fail('read-back', d);
      } finally {
        if (opened) await fresh.storage.close();
      }
    }
  }

  /** Every RUNNING trial must accept tell(t, 'FAIL'): through its object when there is one. */
  async finishAll(): Promise<void> {
    for (const s of this.studies) {
      for (const tm of s.trials) {
        if (tm.state !== 'RUNNING') continue;
        this.announce(s);
        const h = tm.askedBy ?? 0;
        const hv = this.handleVar(s, h);
        const target = tm.obj ?? tm.number;
        const code = `await ${hv}.tell(${tm.obj !== null ? tm.v : tm.number}, 'FAIL');`;
        let frozen: FrozenTrial;
        try {
          frozen = await s.handles[h]!.tell(target as never, 'FAIL');
        } catch (e) {
          this.log(`${code}  // threw ${describeError(e)}`);
          this.requireTyped(e, code);
          this.fail('finishable', `trial ${tm.number} is RUNNING but ${code} threw ${describeError(e)}`);
        }
        this.log(code);
        tm.state = 'FAIL';
        tm.values = null;
        tm.seenBy.add(h);
        const d = diffTrial(frozen, tm);
        if (d !== null) this.fail(d.invariant, `the trial returned by ${code}: ${d.detail}`);
      }
    }
  }

  async releaseHung(): Promise<void> {
    const hung = this.hung.splice(0);
    for (const r of hung) r();
    if (hung.length > 0) {
      // Released objectives finish on later turns; give them a few.
      for (let i = 0; i < 5; i++) await settle();
    }
  }

  async close(): Promise<void> {
    await this.releaseHung();
    for (const s of this.opened) {
      if (s.storage.url !== 'memory:') {
        try {
          await s.storage.close();
        } catch {
          // Closing twice is allowed to fail; the file goes with the temp dir.
        }
      }
    }
  }
}

/** Differences between a stored trial and the model; null when they agree. */
export function diffTrial(t: FrozenTrial, tm: TrialModel): { invariant: string; detail: string } | null {
  if (t.number !== tm.number) return { invariant: 'numbering', detail: `number ${t.number}, expected ${tm.number}` };
  if (t.state !== (tm.state as TrialState)) return { invariant: 'final-state', detail: `state ${t.state}, expected ${tm.state}` };
  const rb = (detail: string | null): { invariant: string; detail: string } | null => (detail === null ? null : { invariant: 'read-back', detail });
  const p = rb(diffRecord('params', tm.stored.params, t.params));
  if (p !== null) return p;
  const dk = Object.keys(t.distributions).sort();
  const pk = Object.keys(t.params).sort();
  if (dk.length !== pk.length || dk.some((k, i) => k !== pk[i])) return rb(`distributions keys ${lit(dk)} differ from params keys ${lit(pk)}`);
  const a = rb(diffRecord('userAttrs', tm.stored.attrs, t.userAttrs));
  if (a !== null) return a;
  const iv = rb(diffMap('intermediateValues', tm.stored.ivs, t.intermediateValues));
  if (iv !== null) return iv;
  const ev = tm.values;
  const av = t.values;
  if (ev === null ? av !== null : av === null || av.length !== ev.length || ev.some((x, i) => x !== av[i])) {
    return rb(`values ${lit(av)}, expected ${lit(ev)}`);
  }
  const reason = t.systemAttrs['failReason'];
  if (tm.failReason === true && typeof reason !== 'string') return rb(`systemAttrs.failReason is ${lit(reason)}, expected a string`);
  if (typeof tm.failReason === 'string' && reason !== tm.failReason) return rb(`systemAttrs.failReason is ${lit(reason)}, expected ${lit(tm.failReason)}`);
  const finished = isFinal(tm.state);
  if (finished !== (t.datetimeComplete instanceof Date)) return rb(`datetimeComplete is ${lit(t.datetimeComplete)} for a ${tm.state} trial`);
  if ((tm.state === 'WAITING') !== (t.datetimeStart === null)) return rb(`datetimeStart is ${lit(t.datetimeStart)} for a ${tm.state} trial`);
  return null;
}
