/**
 * The commands of the model-based run. Each one makes a public API call (or a few), checks what the call
 * returned or threw against the model, updates the model, and then the whole world is re-checked.
 * Commands hold only random picks; which study, trial or parameter a pick means is resolved when the
 * command runs, so that shrinking (dropping commands) keeps every remaining command meaningful.
 */
import fc from 'fast-check';
import { TrialPruned, type FrozenTrial, type ParamValue, type Study, type Trial } from '../../src/index.js';
import {
  attrArb,
  behaviorArb,
  nameArb,
  resultArb,
  stepArb,
  tellOptsArb,
  valueArb,
  type Behavior,
  type ParamSpec,
  type ResultSpec,
  type TellOptsSpec,
} from './arbitraries.js';
import { ARGUMENT_CODES, describeError, isBadName, isTyped, lit, objFrom, sleep } from './util.js';
import {
  contains,
  copyView,
  diffTrial,
  emptyView,
  expectSuggest,
  suggestCall,
  type State,
  type StudyModel,
  type SuggestExpectation,
  type TrialModel,
  type View,
  type World,
} from './world.js';

type Model = object;

abstract class Cmd implements fc.AsyncCommand<Model, World> {
  check(): boolean {
    return true;
  }
  abstract exec(w: World): Promise<void>;
  async run(_m: Model, w: World): Promise<void> {
    await this.exec(w);
    await w.check();
  }
  abstract toString(): string;
}

function studyOf(w: World, pick: number): StudyModel {
  const s = w.studies[pick % w.studies.length]!;
  w.announce(s);
  return s;
}

function handleOf(s: StudyModel, pick: number): [Study, number] {
  const h = pick % s.handles.length;
  return [s.handles[h]!, h];
}

function newTrialModel(number: number, v: string): TrialModel {
  return {
    number,
    state: 'RUNNING',
    stored: emptyView(),
    local: null,
    obj: null,
    v,
    askedBy: null,
    fixed: null,
    values: null,
    failReason: null,
    seenBy: new Set(),
  };
}

function trialVar(s: StudyModel, n: number): string {
  return `t${s.letter}${n}`;
}

/** Records a value the trial now holds, in its object's view and, while it is RUNNING, in storage. */
function recordParam(tm: TrialModel, view: View, spec: ParamSpec, value: ParamValue): void {
  view.params.set(spec.name, value);
  view.dists.set(spec.name, spec.dist);
  if (tm.state === 'RUNNING' && view !== tm.stored) {
    tm.stored.params.set(spec.name, value);
    tm.stored.dists.set(spec.name, spec.dist);
  }
}

/** Checks a value returned by a suggestion against the expectation; returns a complaint or null. */
function judgeSuggest(exp: SuggestExpectation, spec: ParamSpec, value: ParamValue): string | null {
  switch (exp.kind) {
    case 'throw':
      return `returned ${lit(value)}; expected a TunableError because ${exp.why}`;
    case 'same':
    case 'fixed':
      return value === exp.value ? null : `returned ${lit(value)}; expected ${lit(exp.value)} (${exp.kind === 'same' ? 'suggested before' : 'enqueued'})`;
    case 'sample':
      return contains(spec.dist, value) ? null : `returned ${lit(value)}, which is not in ${lit(spec.dist)}`;
  }
}

// ---------------------------------------------------------------------------------------------------

export class AskCmd extends Cmd {
  constructor(readonly study: number, readonly handle: number, readonly useSpace: boolean, readonly picks: readonly number[]) {
    super();
  }
  toString(): string {
    return `ask(study ${this.study}, handle ${this.handle}${this.useSpace ? `, space ${lit(this.picks)}` : ''})`;
  }
  async exec(w: World): Promise<void> {
    const s = studyOf(w, this.study);
    const [study, h] = handleOf(s, this.handle);
    const hv = w.handleVar(s, h);
    const entries: ParamSpec[] = [];
    if (this.useSpace) {
      for (const p of this.picks) {
        const spec = s.spec.pool[p % s.spec.pool.length]!;
        if (!entries.some((e) => e.name === spec.name)) entries.push(spec);
      }
    }
    const space = objFrom(entries.map((e) => [e.name, e.raw]));
    const waiting = s.trials.find((t) => t.state === 'WAITING');
    const n = waiting !== undefined ? waiting.number : s.trials.length;
    const tv = trialVar(s, n);
    const code = `const ${tv} = await ${hv}.ask(${this.useSpace ? lit(space) : ''});`;
    const invalidSpace = entries.some((e) => isBadName(e.name) || !e.valid);
    const conflict = waiting?.fixed != null ? entries.find((e) => waiting.fixed!.has(e.name) && !contains(e.dist, waiting.fixed!.get(e.name))) : undefined;
    let t: Trial;
    try {
      t = await study.ask(this.useSpace ? (space as never) : undefined);
    } catch (e) {
      w.threw(code, e);
      if (invalidSpace) return; // the model is unchanged: the check that follows proves nothing was created
      if (conflict === undefined) w.fail('ask', `${code} threw ${describeError(e)} for a valid space`);
      await this.adoptAfterFailedClaim(w, s, study, h, n, entries);
      return;
    }
    w.log(`${code}  // number ${t.number}, params ${lit(t.params)}`);
    if (invalidSpace) w.fail('typed-error', `${code} succeeded; an invalid space (bad name or distribution) must throw a TunableError and create nothing`);
    if (conflict !== undefined) {
      w.fail('typed-error', `${code} succeeded although enqueued ${lit(conflict.name)} = ${lit(waiting!.fixed!.get(conflict.name))} is not in ${lit(conflict.dist)}`);
    }
    if (t.number !== n) w.fail('numbering', `${code} gave trial number ${t.number}, expected ${n}`);
    const tm = waiting ?? newTrialModel(n, tv);
    if (waiting === undefined) s.trials.push(tm);
    tm.state = 'RUNNING';
    tm.obj = t;
    tm.askedBy = h;
    tm.seenBy.add(h);
    const got = t.params;
    for (const e of entries) {
      const v = Object.getOwnPropertyDescriptor(got, e.name)?.value as ParamValue | undefined;
      const exp = expectSuggest(tm.stored, tm.fixed, e);
      const bad = v === undefined ? 'is missing' : judgeSuggest(exp, e, v);
      if (bad !== null) w.fail('read-back', `${tv}.params[${lit(e.name)}] after ask(space) ${bad}`);
      recordParam(tm, tm.stored, e, v!);
    }
    tm.local = copyView(tm.stored);
  }

  /**
   * ask(space) may fail after claiming an enqueued trial (its value is not in the space): that trial must
   * then be FAIL with the reason recorded, never left RUNNING with nobody holding it.
   */
  private async adoptAfterFailedClaim(w: World, s: StudyModel, study: Study, h: number, n: number, entries: ParamSpec[]): Promise<void> {
    const stored = await study.getTrials();
    const t = stored[n];
    const tm = s.trials[n]!;
    if (t === undefined || t.state !== 'FAIL') {
      w.fail('finishable', `after ask() threw, the enqueued trial ${n} it claimed is ${t?.state ?? 'missing'}; expected FAIL (nobody holds it)`);
    }
    tm.state = 'FAIL';
    tm.failReason = true;
    tm.askedBy = h;
    for (const [name, v] of Object.entries(t.params)) {
      const e = entries.find((x) => x.name === name);
      if (e === undefined || !contains(e.dist, v)) w.fail('read-back', `after a failed ask(), trial ${n} holds ${lit(name)} = ${lit(v)}, not from the space`);
      recordParam(tm, tm.stored, e, v);
    }
    w.log(`// the failed ask() left trial ${n} FAIL, with params ${lit(t.params)}`);
  }
}

/** Several asks at once on one study (through one or more handles): numbers stay unique and gap-free. */
export class AskManyCmd extends Cmd {
  constructor(readonly study: number, readonly handles: readonly number[]) {
    super();
  }
  toString(): string {
    return `Promise.all(ask × ${this.handles.length}, study ${this.study})`;
  }
  async exec(w: World): Promise<void> {
    const s = studyOf(w, this.study);
    const hs = this.handles.map((p) => p % s.handles.length);
    const waiting = s.trials.filter((t) => t.state === 'WAITING').map((t) => t.number);
    const n0 = s.trials.length;
    const want = [...waiting, ...hs.map((_, i) => n0 + i)].slice(0, hs.length);
    const calls = hs.map((h) => `${w.handleVar(s, h)}.ask()`).join(', ');
    const results = await Promise.allSettled(hs.map((h) => s.handles[h]!.ask()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      w.log(`await Promise.all([${calls}]);  // threw ${describeError(failed.reason)}`);
      w.requireTyped(failed.reason, `Promise.all([${calls}])`);
      w.fail('ask', `concurrent asks: ${describeError(failed.reason)}`);
    }
    const trials = results.map((r) => (r as PromiseFulfilledResult<Trial>).value);
    w.log(`const [${trials.map((t) => trialVar(s, t.number)).join(', ')}] = await Promise.all([${calls}]);`);
    const got = trials.map((t) => t.number).sort((a, b) => a - b);
    if (got.some((x, i) => x !== want[i])) w.fail('numbering', `concurrent asks gave trial numbers ${lit(got)}, expected ${lit(want)}`);
    const order = trials.map((t, i) => ({ t, h: hs[i]! })).sort((a, b) => a.t.number - b.t.number);
    for (const { t, h } of order) {
      let tm = s.trials[t.number];
      if (tm === undefined) {
        tm = newTrialModel(t.number, trialVar(s, t.number));
        s.trials.push(tm);
      }
      tm.state = 'RUNNING';
      tm.obj = t;
      tm.askedBy = h;
      tm.seenBy.add(h);
      tm.local = copyView(tm.stored);
    }
  }
}

// ---------------------------------------------------------------------------------------------------

function pickTrialObject(w: World, pick: number): { s: StudyModel; tm: TrialModel } | null {
  const all = w.trialObjects();
  if (all.length === 0) return null;
  // Mostly trials still open: finished ones pile up (optimize adds several) and only ever refuse.
  const open = all.filter((o) => !o.tm.obj!.isFinished);
  const objs = pick % 4 === 0 || open.length === 0 ? all : open;
  const o = objs[Math.floor(pick / 4) % objs.length]!;
  w.announce(o.s);
  return o;
}

function suggestOnce(w: World, s: StudyModel, tm: TrialModel, spec: ParamSpec, typed: boolean): void {
  const t = tm.obj!;
  const { code, call } = suggestCall(tm.v, spec, typed);
  const exp: SuggestExpectation = t.isFinished ? { kind: 'throw', why: 'the trial object is finished' } : expectSuggest(tm.local!, tm.fixed, spec);
  let value: ParamValue;
  try {
    value = call(t);
  } catch (e) {
    w.log(`${code};  // threw ${describeError(e)}`);
    w.requireTyped(e, code);
    if (exp.kind !== 'throw') w.fail('suggest', `${code} threw ${describeError(e)}; expected ${exp.kind === 'sample' ? 'a sampled value' : lit(exp.value)}`);
    return;
  }
  w.log(`${code};  // → ${lit(value)}`);
  const bad = judgeSuggest(exp, spec, value);
  if (bad !== null) w.fail(exp.kind === 'throw' ? 'typed-error' : 'suggest', `${code} ${bad}`);
  if (exp.kind !== 'same') recordParam(tm, tm.local!, spec, value);
}

export class SuggestCmd extends Cmd {
  constructor(readonly trial: number, readonly param: number, readonly typed: boolean) {
    super();
  }
  toString(): string {
    return `suggest(trial ${this.trial}, param ${this.param}, ${this.typed ? 'typed' : 'distribution'})`;
  }
  async exec(w: World): Promise<void> {
    const o = pickTrialObject(w, this.trial);
    if (o === null) return;
    const { s, tm } = o;
    const spec = s.spec.pool[this.param % s.spec.pool.length]!;
    if (spec.cond !== null) {
      // Conditional parameter: suggest its parent first, and the parameter only for the right value.
      const parent = s.spec.pool.find((p) => p.name === spec.cond!.parent && p.valid && p.dist.type === 'categorical')!;
      suggestOnce(w, s, tm, parent, this.typed);
      const pv = tm.local!.params.get(spec.cond.parent);
      if (pv !== spec.cond.value) {
        w.log(`// ${lit(spec.name)} is only suggested when ${lit(spec.cond.parent)} is ${lit(spec.cond.value)}`);
        return;
      }
    }
    suggestOnce(w, s, tm, spec, this.typed);
  }
}

export class ReportCmd extends Cmd {
  constructor(readonly trial: number, readonly value: number, readonly step: number) {
    super();
  }
  toString(): string {
    return `report(trial ${this.trial}, ${lit(this.value)}, step ${lit(this.step)})`;
  }
  async exec(w: World): Promise<void> {
    const o = pickTrialObject(w, this.trial);
    if (o === null) return;
    const { tm } = o;
    const t = tm.obj!;
    const code = `${tm.v}.report(${lit(this.value)}, ${lit(this.step)});`;
    let must: string | null = null;
    if (t.isFinished) must = 'the trial object is finished';
    else if (!Number.isFinite(this.value)) must = 'the value is not finite';
    else if (!Number.isInteger(this.step) || this.step < 0) must = 'the step is not an integer >= 0';
    else if (tm.local!.ivs.has(this.step)) must = 'the step was already reported';
    // Steps beyond 2^53 (integers, but not exactly representable neighbours) may be refused or kept;
    // kept, they must read back like any other.
    const either = must === null && !Number.isSafeInteger(this.step);
    try {
      t.report(this.value, this.step);
    } catch (e) {
      w.threw(code, e);
      if (must === null && !either) w.fail('report', `${code} threw ${describeError(e)} for a valid report`);
      return;
    }
    w.log(code);
    if (must !== null) w.fail('typed-error', `${code} succeeded; expected a TunableError because ${must}`);
    tm.local!.ivs.set(this.step, this.value);
    if (tm.state === 'RUNNING') tm.stored.ivs.set(this.step, this.value);
  }
}

export class TrialAttrCmd extends Cmd {
  constructor(readonly trial: number, readonly key: string, readonly attr: { value: unknown; bad: boolean }) {
    super();
  }
  toString(): string {
    return `trial.setUserAttr(trial ${this.trial}, ${lit(this.key)}, ${lit(this.attr.value)})`;
  }
  async exec(w: World): Promise<void> {
    const o = pickTrialObject(w, this.trial);
    if (o === null) return;
    const { tm } = o;
    const t = tm.obj!;
    const code = `${tm.v}.setUserAttr(${lit(this.key)}, ${lit(this.attr.value)});`;
    let must: string | null = null;
    if (t.isFinished) must = 'the trial object is finished';
    else if (isBadName(this.key)) must = 'the key is empty or has a lone surrogate';
    else if (this.attr.bad) must = 'the value cannot be stored as JSON and read back equal';
    try {
      t.setUserAttr(this.key, this.attr.value);
    } catch (e) {
      w.threw(code, e);
      if (must === null) w.fail('user-attr', `${code} threw ${describeError(e)} for a JSON value`);
      return;
    }
    w.log(code);
    if (must !== null) w.fail('typed-error', `${code} succeeded; expected a TunableError because ${must}`);
    tm.local!.attrs.set(this.key, this.attr.value);
    if (tm.state === 'RUNNING') tm.stored.attrs.set(this.key, this.attr.value);
  }
}

export class StudyAttrCmd extends Cmd {
  constructor(readonly study: number, readonly handle: number, readonly key: string, readonly attr: { value: unknown; bad: boolean }) {
    super();
  }
  toString(): string {
    return `study.setUserAttr(study ${this.study}, ${lit(this.key)}, ${lit(this.attr.value)})`;
  }
  async exec(w: World): Promise<void> {
    const s = studyOf(w, this.study);
    const [study, h] = handleOf(s, this.handle);
    const code = `await ${w.handleVar(s, h)}.setUserAttr(${lit(this.key)}, ${lit(this.attr.value)});`;
    const must = isBadName(this.key) ? 'the key is empty or has a lone surrogate' : this.attr.bad ? 'the value cannot be stored as JSON and read back equal' : null;
    try {
      await study.setUserAttr(this.key, this.attr.value);
    } catch (e) {
      w.threw(code, e);
      if (must === null) w.fail('user-attr', `${code} threw ${describeError(e)} for a JSON value`);
      return;
    }
    w.log(code);
    if (must !== null) w.fail('typed-error', `${code} succeeded; expected a TunableError because ${must}`);
    s.userAttrs.set(this.key, this.attr.value);
  }
}

// ---------------------------------------------------------------------------------------------------

type TellMode = 'object' | 'number' | 'foreign' | 'missing';

interface TellExpectation {
  /** The outcome if the call succeeds; null when it must throw. */
  ok: { state: State; values: readonly number[] | null; failReason: true | string | null } | null;
  /** An argument error is acceptable (the trial must then still be tellable). */
  mayArg: boolean;
  why: string;
}

function buildResult(spec: ResultSpec, nObj: number): unknown {
  switch (spec.kind) {
    case 'values': {
      const len = Math.max(0, nObj + spec.lengthDelta);
      const arr = spec.values.slice(0, len);
      return spec.bare && len === 1 ? arr[0] : arr;
    }
    case 'state':
    case 'badState':
      return spec.state;
    case 'junk':
      return spec.value;
  }
}

function buildOpts(spec: TellOptsSpec): Record<string, unknown> | undefined {
  switch (spec.kind) {
    case 'none':
      return undefined;
    case 'reason':
    case 'junkReason':
      return { failReason: spec.reason };
    case 'unknownKey':
      return { failreason: 'x' };
  }
}

function expectTell(spec: ResultSpec, opts: TellOptsSpec, nObj: number, ivs: ReadonlyMap<number, number>): TellExpectation {
  if (opts.kind === 'unknownKey') return { ok: null, mayArg: true, why: 'an unknown option' };
  const junkReason = opts.kind === 'junkReason';
  const reason = opts.kind === 'reason' ? opts.reason : null;
  switch (spec.kind) {
    case 'values': {
      const len = Math.max(0, nObj + spec.lengthDelta);
      const vals = spec.values.slice(0, len);
      if (len === nObj && vals.every((v) => Number.isFinite(v))) return { ok: { state: 'COMPLETE', values: vals, failReason: null }, mayArg: junkReason, why: '' };
      // Documented: a non-finite value or the wrong count fails the trial, with the reason recorded.
      return { ok: { state: 'FAIL', values: null, failReason: junkReason ? null : (reason ?? true) }, mayArg: junkReason, why: '' };
    }
    case 'state':
      if (spec.state === 'FAIL') return { ok: { state: 'FAIL', values: null, failReason: reason }, mayArg: junkReason, why: '' };
      {
        let last: number | null = null;
        let lastStep = -1;
        for (const [st, v] of ivs) if (st > lastStep) [lastStep, last] = [st, v];
        return { ok: { state: 'PRUNED', values: last === null || nObj > 1 ? null : [last], failReason: null }, mayArg: junkReason, why: '' };
      }
    case 'badState':
      return { ok: null, mayArg: true, why: `${lit(spec.state)} is not a result` };
    case 'junk':
      return { ok: { state: 'FAIL', values: null, failReason: null }, mayArg: true, why: '' };
  }
}

export class TellCmd extends Cmd {
  constructor(
    readonly mode: TellMode,
    readonly trial: number,
    readonly handle: number,
    readonly other: number,
    readonly result: ResultSpec,
    readonly opts: TellOptsSpec,
  ) {
    super();
  }
  toString(): string {
    return `tell(${this.mode}, trial ${this.trial}, handle ${this.handle}, ${lit(this.result)}, ${lit(this.opts)})`;
  }
  async exec(w: World): Promise<void> {
    let s: StudyModel;
    let tm: TrialModel | null = null;
    let target: Trial | number;
    let targetCode: string;
    let handleStudy: StudyModel;
    if (this.mode === 'object' || this.mode === 'foreign') {
      const o = pickTrialObject(w, this.trial);
      if (o === null) return;
      ({ s, tm } = o);
      target = tm.obj!;
      targetCode = tm.v;
      handleStudy = this.mode === 'object' ? s : w.studies[(w.studies.indexOf(s) + 1 + (this.other % (w.studies.length - 1))) % w.studies.length]!;
    } else if (this.mode === 'number') {
      const all = w.studies.flatMap((x) => x.trials.map((t) => ({ s: x, tm: t })));
      if (all.length === 0) return;
      const o = all[this.trial % all.length]!;
      ({ s, tm } = o);
      target = tm.number;
      targetCode = String(tm.number);
      handleStudy = s;
    } else {
      s = studyOf(w, this.trial);
      const bogus = [s.trials.length, s.trials.length + 5, -1, 1.5];
      target = bogus[this.other % bogus.length]!;
      targetCode = lit(target);
      handleStudy = s;
    }
    w.announce(s);
    w.announce(handleStudy);
    const [study, h] = handleOf(handleStudy, this.handle);
    const hv = w.handleVar(handleStudy, h);
    const nObj = handleStudy.spec.directions.length;
    const result = buildResult(this.result, nObj);
    const opts = buildOpts(this.opts);
    const code = `await ${hv}.tell(${targetCode}, ${lit(result)}${opts !== undefined ? `, ${lit(opts)}` : ''});`;
    const objFinishedBefore = tm?.obj?.isFinished ?? null;

    let notTellable: string | null = null;
    if (this.mode === 'foreign') notTellable = `${targetCode} belongs to study ${lit(s.name)}, not ${lit(handleStudy.name)}`;
    else if (this.mode === 'missing') notTellable = `study ${lit(s.name)} has no trial ${targetCode}`;
    else if (tm!.state !== 'RUNNING') notTellable = `trial ${tm!.number} is ${tm!.state}`;
    else if (this.mode === 'object' && objFinishedBefore === true) notTellable = `${targetCode} was already told`;
    const exp = notTellable === null ? expectTell(this.result, this.opts, nObj, tm!.stored.ivs) : null;

    let frozen: FrozenTrial;
    try {
      frozen = await study.tell(target as never, result as never, opts as never);
    } catch (e) {
      w.threw(code, e);
      if (exp === null) {
        // Nothing may have changed (the check that follows proves it for storage); a RUNNING trial's
        // object must still be tellable through its own study.
        if (tm?.obj != null && tm.state === 'RUNNING' && objFinishedBefore === false && tm.obj.isFinished) {
          w.fail('finishable', `${code} threw ${describeError(e)}, but left ${tm.v} (RUNNING) marked finished: it can no longer be told`);
        }
        return;
      }
      if (!exp.mayArg) w.fail('finishable', `${code} threw ${describeError(e)}, but trial ${tm!.number} is RUNNING and the result is valid`);
      if (!ARGUMENT_CODES.includes((e as { code: string }).code)) {
        w.fail('finishable', `${code} threw ${describeError(e)}; a bad argument must be an argument error (${ARGUMENT_CODES.join(', ')})`);
      }
      if (tm!.obj !== null && tm!.obj.isFinished !== objFinishedBefore) {
        w.fail('finishable', `${code} threw an argument error but left ${tm!.v} marked finished: it can no longer be told`);
      }
      return;
    }
    w.log(`${code}  // → ${frozen.state} ${lit(frozen.values)}`);
    if (exp === null) w.fail(this.mode === 'foreign' ? 'foreign-write' : 'final-state', `${code} succeeded (→ ${frozen.state}); expected a TunableError because ${notTellable}`);
    if (exp.ok === null) w.fail('typed-error', `${code} succeeded (→ ${frozen.state}); expected an argument error because ${exp.why}`);
    const t = tm!;
    t.state = exp.ok.state;
    t.values = exp.ok.values;
    t.failReason = exp.ok.failReason;
    t.seenBy.add(h);
    const d = diffTrial(frozen, t);
    if (d !== null) w.fail(d.invariant, `the trial returned by ${code}: ${d.detail}`);
    if (this.mode === 'object' && !t.obj!.isFinished) w.fail('final-state', `${t.v}.isFinished is false after ${code}`);
  }
}

// ---------------------------------------------------------------------------------------------------

const JUNK_FIXED: readonly unknown[] = [NaN, Infinity, undefined, {}, [], () => 1, 10n];

export class EnqueueCmd extends Cmd {
  constructor(
    readonly study: number,
    readonly handle: number,
    readonly entries: readonly { pick: number; kind: 'in' | 'out' | 'junk' | 'name'; name: string; junk: number }[],
    readonly attrs: readonly [string, { value: unknown; bad: boolean }][] | null,
    readonly bogusOpt: boolean,
  ) {
    super();
  }
  toString(): string {
    return `enqueueTrial(study ${this.study}, ${lit(this.entries)}, ${this.attrs === null ? 'no attrs' : lit(this.attrs.map(([k, a]) => [k, a.value]))})`;
  }
  async exec(w: World): Promise<void> {
    const s = studyOf(w, this.study);
    const [study, h] = handleOf(s, this.handle);
    const fixed = new Map<string, unknown>();
    let junk = false;
    for (const e of this.entries) {
      const spec = s.spec.pool[e.pick % s.spec.pool.length]!;
      if (e.kind === 'junk') {
        junk = true;
        fixed.set(spec.name, JUNK_FIXED[e.junk % JUNK_FIXED.length]);
      } else if (e.kind === 'name') {
        fixed.set(e.name, spec.inValue);
      } else {
        if (!spec.valid) continue;
        fixed.set(spec.name, e.kind === 'in' ? spec.inValue : spec.outValue);
      }
    }
    // A later entry for the same name replaces the earlier one, as in an object literal.
    junk = [...fixed.values()].some((v) => JUNK_FIXED.includes(v));
    const params = objFrom([...fixed.entries()]);
    const userAttrs = this.attrs === null ? undefined : objFrom(this.attrs.map(([k, a]) => [k, a.value]));
    const finalAttrs = new Map<string, { value: unknown; bad: boolean }>(this.attrs ?? []);
    const attrMap = new Map<string, unknown>([...finalAttrs].map(([k, a]) => [k, a.value]));
    const badAttr = [...finalAttrs].some(([k, a]) => isBadName(k) || a.bad);
    const opts: Record<string, unknown> | undefined = this.bogusOpt ? { userAttrs: userAttrs ?? {}, fixed: true } : userAttrs === undefined ? undefined : { userAttrs };
    const code = `await ${w.handleVar(s, h)}.enqueueTrial(${lit(params)}${opts !== undefined ? `, ${lit(opts)}` : ''});`;
    const must = junk ? 'a parameter value is not a finite number, string, boolean or null' : badAttr ? 'a user attribute cannot be stored' : this.bogusOpt ? 'an unknown option' : null;
    let frozen: FrozenTrial;
    try {
      frozen = await study.enqueueTrial(params as never, opts as never);
    } catch (e) {
      w.threw(code, e);
      // Names that cannot be stored as keys may be refused here already.
      if (must === null && ![...fixed.keys()].some((k) => isBadName(k))) w.fail('enqueue', `${code} threw ${describeError(e)} for valid input`);
      return;
    }
    const n = s.trials.length;
    w.log(`${code}  // → WAITING trial ${frozen.number}`);
    if (must !== null) w.fail('typed-error', `${code} succeeded; expected a TunableError because ${must}`);
    const tm = newTrialModel(n, trialVar(s, n));
    tm.state = 'WAITING';
    tm.fixed = fixed;
    tm.stored.attrs = attrMap;
    s.trials.push(tm);
    const d = diffTrial(frozen, tm);
    if (d !== null) w.fail(d.invariant, `the trial returned by ${code}: ${d.detail}`);
  }
}

// ---------------------------------------------------------------------------------------------------

export class FailStaleCmd extends Cmd {
  constructor(readonly study: number, readonly handle: number, readonly mode: 'zero' | 'huge' | 'bad', readonly bad: number) {
    super();
  }
  toString(): string {
    return `failStaleTrials(study ${this.study}, ${this.mode})`;
  }
  async exec(w: World): Promise<void> {
    const s = studyOf(w, this.study);
    const [study, h] = handleOf(s, this.handle);
    const bads: unknown[] = [-1, NaN, 1.5, '0', Infinity];
    const ms = this.mode === 'zero' ? 0 : this.mode === 'huge' ? 1e9 : bads[this.bad % bads.length];
    const code = `await ${w.handleVar(s, h)}.failStaleTrials({ olderThanMs: ${lit(ms)} });`;
    // A trial is stale when silent for strictly longer than olderThanMs: let a few ms pass first.
    if (this.mode === 'zero') {
      await sleep(3);
      w.log(`await new Promise((r) => setTimeout(r, 3));`);
    }
    let failed: number[];
    try {
      failed = await study.failStaleTrials({ olderThanMs: ms as number });
    } catch (e) {
      w.threw(code, e);
      if (this.mode !== 'bad') w.fail('fail-stale', `${code} threw ${describeError(e)}`);
      return;
    }
    w.log(`${code}  // → ${lit(failed)}`);
    if (this.mode === 'bad') w.fail('typed-error', `${code} succeeded; expected a TunableError for olderThanMs = ${lit(ms)}`);
    const running = s.trials.filter((t) => t.state === 'RUNNING').map((t) => t.number);
    const want = this.mode === 'zero' ? running : [];
    const got = [...failed].sort((a, b) => a - b);
    if (got.length !== want.length || got.some((x, i) => x !== want[i])) {
      w.fail('fail-stale', `${code} returned ${lit(failed)}; expected the RUNNING trials ${lit(want)}`);
    }
    for (const n of got) {
      const tm = s.trials[n]!;
      tm.state = 'FAIL';
      tm.values = null;
      tm.failReason = true;
    }
  }
}

export class ReloadCmd extends Cmd {
  constructor(readonly study: number) {
    super();
  }
  toString(): string {
    return `loadStudy(study ${this.study})`;
  }
  async exec(w: World): Promise<void> {
    const s = studyOf(w, this.study);
    if (s.handles.length >= 3) return;
    await w.reload(s);
  }
}

// ---------------------------------------------------------------------------------------------------

/** The error objectives throw on purpose; optimize must re-throw it unless `catch` lists it. */
export class ObjectiveBoom extends Error {}

interface Rec {
  number: number;
  behavior: Behavior;
  view: View;
  fixed: Map<string, unknown> | null;
  obj: Trial;
  returned: readonly number[] | null;
}

export class OptimizeCmd extends Cmd {
  constructor(
    readonly study: number,
    readonly handle: number,
    readonly nTrials: number,
    readonly concurrency: number,
    readonly behaviors: readonly Behavior[],
    readonly catchBoom: boolean,
  ) {
    super();
  }
  toString(): string {
    return `optimize(study ${this.study}, nTrials ${this.nTrials}, concurrency ${this.concurrency}, ${lit(this.behaviors)}, catch ${this.catchBoom})`;
  }
  async exec(w: World): Promise<void> {
    const s = studyOf(w, this.study);
    const [study, h] = handleOf(s, this.handle);
    const hv = w.handleVar(s, h);
    const nObj = s.spec.directions.length;
    // Failing its own trial as stale mid-run stands for another process doing so; with one worker no
    // other trial of this call is in flight meanwhile, so the model knows which trials it hits.
    const behaviors = this.behaviors.map((b) => ((b === 'hang' && !w.grace) || (b === 'staleSelf' && this.concurrency > 1) ? 'value' : b));
    const staleFailed = new Set<number>();
    const hang = behaviors.includes('hang');
    const opts: Record<string, unknown> = { nTrials: this.nTrials, concurrency: this.concurrency };
    if (this.catchBoom) opts['catch'] = [ObjectiveBoom];
    if (hang) Object.assign(opts, { timeout: 0.05, gracePeriod: 0.05 });
    const nBefore = s.trials.length;
    const waitingBefore = s.trials.filter((t) => t.state === 'WAITING').map((t) => t.number);
    const recs: Rec[] = [];
    w.log(`await ${hv}.optimize(objective, ${lit(opts).replace('[() => 1]', '[ObjectiveBoom]')});  // objective behaviours in call order: ${lit(behaviors)}`);

    const objective = async (trial: Trial): Promise<number | number[]> => {
      const idx = recs.length;
      const behavior = behaviors[idx % behaviors.length]!;
      const existing = s.trials[trial.number];
      const rec: Rec = {
        number: trial.number,
        behavior,
        view: existing !== undefined ? copyView(existing.stored) : emptyView(),
        fixed: existing?.fixed ?? null,
        obj: trial,
        returned: null,
      };
      recs.push(rec);
      const say = (line: string): void => w.log(`//   [objective, trial ${trial.number}] ${line}`);
      s.spec.pool.forEach((spec, i) => {
        if (spec.cond !== null && rec.view.params.get(spec.cond.parent) !== spec.cond.value) return;
        const { code, call } = suggestCall('t', spec, i % 2 === 0);
        const exp = expectSuggest(rec.view, rec.fixed, spec);
        try {
          const v = call(trial);
          say(`${code} → ${lit(v)}`);
          const bad = judgeSuggest(exp, spec, v);
          if (bad !== null) w.deferred.push(`inside optimize, ${code} ${bad}`);
          else if (exp.kind !== 'same') {
            rec.view.params.set(spec.name, v);
            rec.view.dists.set(spec.name, spec.dist);
          }
        } catch (e) {
          say(`${code} threw ${describeError(e)}`);
          if (!isTyped(e)) w.deferred.push(`inside optimize, ${code} threw ${describeError(e)}, not a TunableError`);
          else if (exp.kind !== 'throw') w.deferred.push(`inside optimize, ${code} threw ${describeError(e)} for valid input`);
        }
      });
      for (let step = 0; step < idx % 3; step++) {
        trial.report(trial.number + step / 4, step);
        rec.view.ivs.set(step, trial.number + step / 4);
      }
      trial.setUserAttr('behavior', behavior);
      rec.view.attrs.set('behavior', behavior);
      const value = nObj === 1 ? [trial.number * 1.5 + 0.25] : [trial.number * 1.5 + 0.25, -trial.number];
      say(`behaviour ${behavior}`);
      switch (behavior) {
        case 'value':
          rec.returned = value;
          return nObj === 1 ? value[0]! : value;
        case 'nan':
          return nObj === 1 ? NaN : [NaN, 1];
        case 'wrongLength':
          return new Array<number>(nObj + 1).fill(1);
        case 'junk':
          return 'abc' as never;
        case 'boom':
          throw new ObjectiveBoom(`objective failed on trial ${trial.number}`);
        case 'pruned':
          throw new TrialPruned();
        case 'badAttr':
          try {
            trial.setUserAttr('bad', { x: NaN });
            w.deferred.push(`inside optimize, t.setUserAttr("bad", { x: NaN }) succeeded; expected a TunableError`);
          } catch (e) {
            if (!isTyped(e)) w.deferred.push(`inside optimize, t.setUserAttr("bad", { x: NaN }) threw ${describeError(e)}, not a TunableError`);
          }
          rec.returned = value;
          return nObj === 1 ? value[0]! : value;
        case 'staleSelf': {
          await sleep(3);
          const other = (h + 1) % s.handles.length;
          const failed = await s.handles[other]!.failStaleTrials({ olderThanMs: 0 });
          say(`await ${w.handleVar(s, other)}.failStaleTrials({ olderThanMs: 0 }) → ${lit(failed)}; then returns ${lit(value)}`);
          // Trials asked by hand never beat, so each must be in the list. This trial may be spared when
          // its first heartbeat (sent from another thread) landed within the same millisecond.
          const manual = s.trials.filter((t) => t.state === 'RUNNING' && t.number !== trial.number && !staleFailed.has(t.number)).map((t) => t.number);
          for (const n of failed) staleFailed.add(n);
          const extra = failed.filter((n) => n !== trial.number && !manual.includes(n));
          const missing = manual.filter((n) => !failed.includes(n));
          if (extra.length > 0 || missing.length > 0) {
            w.deferred.push(`inside optimize, failStaleTrials({ olderThanMs: 0 }) returned ${lit(failed)}; the RUNNING trials were ${lit([...manual, trial.number])}`);
          }
          rec.returned = value;
          return nObj === 1 ? value[0]! : value;
        }
        case 'hang':
          await new Promise<void>((r) => w.hung.push(r));
          return nObj === 1 ? value[0]! : value;
      }
    };

    const run = study.optimize(objective, opts as never).then(
      () => ({ ok: true as const }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    // Liveness: an optimize whose objective hangs must still settle once timeout + gracePeriod passed.
    const settled = await Promise.race([run, sleep(10_000).then(() => null)]);
    if (settled === null) w.fail('optimize-settles', `optimize did not settle within 10 s (behaviours ${lit(behaviors)}, options ${lit(opts)})`);
    const uncaught = recs.find((r) => r.behavior === 'boom' && !this.catchBoom);
    if (settled.ok) {
      w.log(`//   optimize resolved`);
      if (uncaught !== undefined) w.fail('optimize', `optimize resolved although the objective threw an uncaught error on trial ${uncaught.number}`);
    } else {
      w.log(`//   optimize rejected: ${describeError(settled.e)}`);
      if (!(settled.e instanceof ObjectiveBoom)) {
        w.requireTyped(settled.e, 'optimize');
        if (!hang) w.fail('optimize', `optimize rejected with ${describeError(settled.e)}`);
      } else if (uncaught === undefined) {
        w.fail('optimize', `optimize rejected with an objective error that \`catch\` lists`);
      }
    }
    if (recs.length > this.nTrials) w.fail('optimize', `optimize ran ${recs.length} trials for nTrials = ${this.nTrials}`);
    // No trial this call started may be left RUNNING once it settled.
    const after = await study.getTrials();
    const mine = new Set(recs.map((r) => r.number));
    for (const t of after) {
      const startedHere = mine.has(t.number) || t.number >= nBefore;
      if (startedHere && t.state === 'RUNNING') w.fail('optimize-orphan', `trial ${t.number} is still RUNNING after optimize settled`);
    }
    if (after.length !== nBefore + recs.filter((r) => r.number >= nBefore).length) {
      w.fail('optimize', `optimize created ${after.length - nBefore} trial(s) but the objective saw ${lit(recs.map((r) => r.number))}`);
    }

    // Trials of this study failed as stale from inside the objective (asked earlier, not by optimize).
    for (const n of staleFailed) {
      const tm = s.trials[n];
      if (tm !== undefined && n < nBefore && !mine.has(n)) {
        tm.state = 'FAIL';
        tm.values = null;
        tm.failReason = true;
      }
    }
    // Trials it started: first the enqueued ones (oldest first), then new numbers.
    const sorted = [...recs].sort((a, b) => a.number - b.number);
    const claimed = sorted.filter((r) => r.number < nBefore).map((r) => r.number);
    const fresh = sorted.filter((r) => r.number >= nBefore).map((r) => r.number);
    if (claimed.some((n, i) => n !== waitingBefore[i])) w.fail('numbering', `optimize ran trials ${lit(claimed)}; the enqueued ones were ${lit(waitingBefore)}`);
    if (fresh.some((n, i) => n !== nBefore + i)) w.fail('numbering', `optimize created trials ${lit(fresh)}, expected ${nBefore}, ${nBefore + 1}, …`);
    for (const r of sorted) {
      let tm = s.trials[r.number];
      if (tm === undefined) {
        tm = newTrialModel(r.number, `/* trial ${r.number} of optimize */`);
        s.trials.push(tm);
      }
      tm.obj = r.obj;
      tm.askedBy = h;
      tm.seenBy.add(h);
      tm.stored = copyView(r.view);
      tm.local = copyView(r.view);
      tm.values = null;
      tm.failReason = null;
      switch (r.behavior) {
        case 'value':
        case 'badAttr':
          tm.state = 'COMPLETE';
          tm.values = r.returned;
          break;
        case 'pruned': {
          tm.state = 'PRUNED';
          let last: number | null = null;
          let lastStep = -1;
          for (const [st, v] of r.view.ivs) if (st > lastStep) [lastStep, last] = [st, v];
          tm.values = last === null || nObj > 1 ? null : [last];
          break;
        }
        case 'hang':
          tm.state = 'FAIL';
          break;
        case 'staleSelf':
          if (staleFailed.has(r.number)) {
            // Failed under its worker: that outcome stands, the late result is not recorded.
            tm.state = 'FAIL';
            tm.failReason = true;
          } else {
            tm.state = 'COMPLETE';
            tm.values = r.returned;
          }
          break;
        default:
          tm.state = 'FAIL';
          tm.failReason = true;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------

export function commandArbs(withHang: boolean): fc.Arbitrary<Cmd>[] {
  const study = fc.nat({ max: 3 });
  const handle = fc.nat({ max: 2 });
  const pick = fc.nat({ max: 200 });
  const ask = fc.tuple(study, handle, fc.boolean(), fc.array(pick, { maxLength: 4 })).map(([a, b, c, d]) => new AskCmd(a, b, c, d));
  const suggest = fc.tuple(pick, pick, fc.boolean()).map(([a, b, c]) => new SuggestCmd(a, b, c));
  const report = fc.tuple(pick, valueArb, stepArb).map(([a, b, c]) => new ReportCmd(a, b, c));
  const trialAttr = fc.tuple(pick, nameArb, attrArb).map(([a, b, c]) => new TrialAttrCmd(a, b, c));
  const studyAttr = fc.tuple(study, handle, nameArb, attrArb).map(([a, b, c, d]) => new StudyAttrCmd(a, b, c, d));
  const tell = fc
    .tuple(fc.constantFrom<TellMode>('object', 'object', 'object', 'number', 'foreign', 'missing'), pick, handle, pick, resultArb, tellOptsArb)
    .map(([m, a, b, c, d, e]) => new TellCmd(m, a, b, c, d, e));
  const enqueue = fc
    .tuple(
      study,
      handle,
      fc.array(
        fc.record({ pick, kind: fc.constantFrom<'in' | 'out' | 'junk' | 'name'>('in', 'in', 'in', 'out', 'junk', 'name'), name: nameArb, junk: pick }),
        { maxLength: 3 },
      ),
      fc.option(fc.array(fc.tuple(nameArb, attrArb), { maxLength: 2 }), { freq: 3 }),
      fc.constantFrom(false, false, false, false, true),
    )
    .map(([a, b, c, d, e]) => new EnqueueCmd(a, b, c, d, e));
  const failStale = fc
    .tuple(study, handle, fc.constantFrom<'zero' | 'huge' | 'bad'>('zero', 'zero', 'huge', 'bad'), pick)
    .map(([a, b, c, d]) => new FailStaleCmd(a, b, c, d));
  const reload = study.map((a) => new ReloadCmd(a));
  const askMany = fc.tuple(study, fc.array(handle, { minLength: 2, maxLength: 3 })).map(([a, b]) => new AskManyCmd(a, b));
  const optimize = fc
    .tuple(study, handle, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.array(behaviorArb(withHang), { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([a, b, c, d, e, f]) => new OptimizeCmd(a, b, c, d, e, f));
  // fc.commands picks among the arbitraries uniformly: repeats weight the per-trial operations.
  return [ask, ask, askMany, suggest, suggest, suggest, suggest, report, report, trialAttr, trialAttr, studyAttr, tell, tell, tell, enqueue, failStale, reload, optimize];
}
