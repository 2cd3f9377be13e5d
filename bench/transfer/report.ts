/** The Markdown tables of the transfer bench and the goals they are judged against. */
import { cell, g3, median, quartiles } from '../regret/stats.js';
import type { DigitsResult } from './digits.js';
import { FAMILY_LETTER, type Family } from './tasks.js';
import type { SyntheticResult } from './synthetic.js';
import { coldOf } from './variants.js';

export const SECTION = '## Transfer learning (issue 21)';

/** The issue's goals: the transfer GP's median regret ÷ the cold GP's, at one checkpoint. */
interface Goal {
  readonly at: number;
  readonly maxRatio: number;
  readonly text: string;
}

export const GOALS: Record<Family, Goal> = {
  shift: { at: 10, maxRatio: 0.1, text: 'after 10 trials ≤ 1/10 of cold' },
  scale: { at: 10, maxRatio: 0.1, text: 'after 10 trials ≤ 1/10 of cold' },
  dims: { at: 10, maxRatio: 0.1, text: 'after 10 trials ≤ 1/10 of cold' },
  unrelated: { at: 10, maxRatio: 0.2, text: 'after 10 trials ≤ 1/5 of cold' },
  adversarial: { at: 40, maxRatio: 1.2, text: 'after 40 trials ≤ 1.2 × cold' },
};

export const familyName = (f: Family): string => `(${FAMILY_LETTER[f]}) ${f}`;

export interface Verdict {
  readonly family: Family;
  readonly problem: string;
  readonly met: boolean | null;
  readonly text: string;
}

function column<T>(runs: readonly T[], pick: (r: T) => number): number[] {
  return runs.map(pick);
}

/** Median regret after each checkpoint, [q1, q3] over seeds, per family, problem and variant. */
export function regretTable(r: SyntheticResult, families: readonly Family[], problems: readonly string[], variants: readonly string[]): string {
  const head = ['family', 'problem', 'sampler', ...r.checkpoints.map((k) => `regret after ${k}`), 'ms/trial'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const f of families) {
    for (const p of problems) {
      for (const v of variants) {
        const runs = r.runs.get(`${f}/${p}/${v}`);
        if (runs === undefined) continue;
        const cells = r.checkpoints.map((_, i) => cell(quartiles(column(runs, (x) => x.regrets[i]!))));
        lines.push(`| ${familyName(f)} | ${p} | ${v} | ${cells.join(' | ')} | ${median(column(runs, (x) => x.msPerTrial)).toFixed(1)} |`);
      }
    }
  }
  return lines.join('\n');
}

/** Median regret with sources ÷ median regret cold, per checkpoint, and in how many seeds the transfer run was at least as good. */
export function ratioTable(r: SyntheticResult, families: readonly Family[], problems: readonly string[], variants: readonly string[]): string {
  const head = ['family', 'problem', 'sampler ÷ cold', ...r.checkpoints.map((k) => `after ${k}`), `seeds ≤ cold after ${r.checkpoints.at(-1)}`];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const last = r.checkpoints.length - 1;
  for (const { f, p, v, runs, cold } of againstCold(r, families, problems, variants)) {
    const ratios = r.checkpoints.map((_, i) => g3(median(column(runs, (x) => x.regrets[i]!)) / median(column(cold, (x) => x.regrets[i]!))));
    const wins = runs.filter((x, s) => x.regrets[last]! <= cold[s]!.regrets[last]!).length;
    lines.push(`| ${familyName(f)} | ${p} | ${v} ÷ ${coldOf(v)} | ${ratios.join(' | ')} | ${wins}/${runs.length} |`);
  }
  return lines.join('\n');
}

/** Every (family, problem, variant) that has a cold counterpart, with both sets of runs. */
function* againstCold(r: SyntheticResult, families: readonly Family[], problems: readonly string[], variants: readonly string[]) {
  for (const f of families) {
    for (const p of problems) {
      for (const v of variants.filter((x) => x !== coldOf(x))) {
        const runs = r.runs.get(`${f}/${p}/${v}`);
        const cold = r.runs.get(`${f}/${p}/${coldOf(v)}`);
        if (runs !== undefined && cold !== undefined) yield { f, p, v, runs, cold };
      }
    }
  }
}

/** The goals, judged on the GP (the transfer method of the issue); TPE's ratio alongside for scale. */
export function verdicts(r: SyntheticResult, families: readonly Family[], problems: readonly string[]): Verdict[] {
  const out: Verdict[] = [];
  for (const f of families) {
    const goal = GOALS[f];
    const i = r.checkpoints.indexOf(goal.at);
    for (const p of problems) {
      const ratioAt = (v: string): number | null => {
        const runs = r.runs.get(`${f}/${p}/${v}`);
        const cold = r.runs.get(`${f}/${p}/${coldOf(v)}`);
        if (runs === undefined || cold === undefined || i < 0) return null;
        return median(column(runs, (x) => x.regrets[i]!)) / median(column(cold, (x) => x.regrets[i]!));
      };
      const gp = ratioAt('gp+transfer');
      const tpe = ratioAt('tpe+transfer');
      const tpeText = tpe === null ? '' : `; TPE with sources ÷ cold TPE ${g3(tpe)}`;
      if (gp === null) {
        out.push({ family: f, problem: p, met: null, text: `not judged (${i < 0 ? `fewer than ${goal.at} target trials` : 'no gp+transfer run'})${tpeText}` });
        continue;
      }
      const met = gp <= goal.maxRatio;
      out.push({ family: f, problem: p, met, text: `GP with sources ÷ cold GP ${g3(gp)} (goal ${goal.text})${tpeText}` });
    }
  }
  return out;
}

/**
 * Where a sampler with sources ends worse than cold (median regret more than `slack` × cold's at the last
 * checkpoint): what a source costs once the target's own trials suffice, stated apart from the goals.
 */
export function lateCosts(r: SyntheticResult, families: readonly Family[], problems: readonly string[], variants: readonly string[], slack = 1.2): string[] {
  const last = r.checkpoints.length - 1;
  const out: string[] = [];
  for (const { f, p, v, runs, cold } of againstCold(r, families, problems, variants)) {
    const a = median(column(runs, (x) => x.regrets[last]!));
    const b = median(column(cold, (x) => x.regrets[last]!));
    if (a > slack * b) out.push(`${familyName(f)}, ${p}, ${v}: ${g3(a)} against ${g3(b)} cold (× ${g3(a / b)})`);
  }
  return out;
}

/**
 * The range over families and problems of the reseeded cold GP's median regret ÷ the cold GP's at the
 * last checkpoint ("0.4–2.1"), or null without a reseeded run.
 */
export function noiseFloor(r: SyntheticResult, families: readonly Family[], problems: readonly string[]): string | null {
  const last = r.checkpoints.length - 1;
  const ratios: number[] = [];
  for (const f of families) {
    for (const p of problems) {
      const a = r.runs.get(`${f}/${p}/gp-reseeded`);
      const b = r.runs.get(`${f}/${p}/gp`);
      if (a === undefined || b === undefined) continue;
      ratios.push(median(column(a, (x) => x.regrets[last]!)) / median(column(b, (x) => x.regrets[last]!)));
    }
  }
  return ratios.length === 0 ? null : `${g3(Math.min(...ratios))}–${g3(Math.max(...ratios))}`;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

/** Validation error after each checkpoint, median [q1, q3] over seeds, in percent. */
export function digitsTable(d: DigitsResult): string {
  const last = d.checkpoints.length - 1;
  const head = ['sampler', ...d.checkpoints.map((k) => `validation error after ${k}`), ...d.checkpoints.map((k) => `÷ cold after ${k}`),
    `seeds lower / equal / higher than cold after ${d.checkpoints.at(-1)}`];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const medianAt = (v: string, i: number): number => median((d.errors.get(v) ?? []).map((e) => e[i]!));
  for (const [v, runs] of d.errors) {
    const cells = d.checkpoints.map((_, i) => {
      const q = quartiles(runs.map((e) => e[i]!));
      return `${pct(q.median)} [${pct(q.q1)}, ${pct(q.q3)}]`;
    });
    const cold = v === coldOf(v) ? undefined : d.errors.get(coldOf(v));
    const ratios = d.checkpoints.map((_, i) => (cold === undefined ? '—' : g3(medianAt(v, i) / medianAt(coldOf(v), i))));
    // Paired by seed (same splits, same training seed): the error is counted in whole images, so ties are common.
    let paired = '—';
    if (cold !== undefined) {
      const sign = runs.map((e, s) => Math.sign(e[last]! - cold[s]![last]!));
      paired = [-1, 0, 1].map((x) => sign.filter((y) => y === x).length).join(' / ');
    }
    lines.push(`| ${v} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${paired} |`);
  }
  return lines.join('\n');
}
