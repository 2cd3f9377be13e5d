/**
 * What an AutoML run shows: the leaderboard and the learning curve (built from the study's trials, so
 * a resumed study shows every run), and the report that puts them in a Markdown or HTML file with the
 * test scores, the best pipeline per learner and the parameter importances.
 */
import { paramImportances } from '../importance/index.js';
import { plot } from '../plot/index.js';
import type { Study } from '../study/study.js';
import { TrialState, type FrozenTrial, type StudyDirection } from '../trial/index.js';
import { trialToJSON, type StudyJSON } from '../trial/json.js';
import type { AutomlResult } from './index.js';
import type { PipelineSpec } from './space.js';

export interface LeaderboardRow {
  readonly rank: number;
  readonly trial: number;
  readonly learner: string;
  readonly family: string;
  /** Mean CV score over the folds, and its standard deviation across them. */
  readonly score: number;
  readonly std: number;
  /** Seconds the trial took (every fold and budget). */
  readonly seconds: number;
  readonly spec: PipelineSpec;
}

export interface CurvePoint {
  /** Seconds since the study's first trial started. */
  readonly seconds: number;
  readonly best: number;
  readonly trial: number;
}

/** Complete AutoML trials, best first (ties: the earlier trial). */
export function buildLeaderboard(trials: readonly FrozenTrial[], direction: StudyDirection): LeaderboardRow[] {
  const sign = direction === 'maximize' ? -1 : 1;
  return trials
    .filter((t) => t.state === TrialState.COMPLETE && t.values !== null && t.userAttrs['pipeline'] !== undefined)
    .sort((a, b) => sign * (a.values![0]! - b.values![0]!) || a.number - b.number)
    .map((t, i) => {
      const spec = t.userAttrs['pipeline'] as PipelineSpec;
      return {
        rank: i + 1,
        trial: t.number,
        learner: spec.learner,
        family: String(t.userAttrs['family'] ?? spec.learner),
        score: t.values![0]!,
        std: Number(t.userAttrs['cvStd'] ?? 0),
        seconds: Number(t.userAttrs['seconds'] ?? 0),
        spec,
      };
    });
}

/** The best CV score after each improvement, against seconds since the first trial started. */
export function learningCurve(trials: readonly FrozenTrial[], direction: StudyDirection): CurvePoint[] {
  const starts = trials.map((t) => t.datetimeStart?.getTime()).filter((v): v is number => v !== undefined);
  if (starts.length === 0) return [];
  const t0 = Math.min(...starts);
  const done = trials
    .filter((t) => t.state === TrialState.COMPLETE && t.values !== null && t.datetimeComplete !== null)
    .sort((a, b) => a.datetimeComplete!.getTime() - b.datetimeComplete!.getTime());
  const out: CurvePoint[] = [];
  for (const t of done) {
    const v = t.values![0]!;
    const last = out[out.length - 1];
    if (last === undefined || (direction === 'maximize' ? v > last.best : v < last.best)) {
      out.push({ seconds: (t.datetimeComplete!.getTime() - t0) / 1000, best: v, trial: t.number });
    }
  }
  return out;
}

export type ReportFormat = 'md' | 'html';

/** Rows of the leaderboard a report lists. */
const REPORT_ROWS = 20;
/** Parameter importance needs a few trials to fit its forest to. */
const MIN_IMPORTANCE_TRIALS = 4;

const fmt = (v: number): string => Number(v.toPrecision(5)).toString();

interface Sections {
  title: string;
  summary: [string, string][];
  tables: { heading: string; note?: string; header: string[]; rows: string[][] }[];
}

async function studyJSON(study: Study): Promise<StudyJSON> {
  const [trials, userAttrs] = await Promise.all([study.getTrials(), study.getUserAttrs()]);
  return { studyId: study.studyId, name: study.studyName, directions: [...study.directions], userAttrs, trials: trials.map(trialToJSON) };
}

/** Importances over the whole space (which learner, which preprocessing), then within the best learner. */
function importances(json: StudyJSON, best: AutomlResult['best']): { scope: string; rows: [string, number][] }[] {
  const out: { scope: string; rows: [string, number][] }[] = [];
  const complete = json.trials.filter((t) => t.state === 'COMPLETE');
  if (complete.length < MIN_IMPORTANCE_TRIALS) return out;
  const tryScope = (scope: string, params?: string[]): void => {
    try {
      const r = paramImportances(json, params === undefined ? {} : { params });
      if (r.importances.length > 0) out.push({ scope: `${scope} (${r.nTrials} trials)`, rows: r.importances.map((i) => [i.name, i.importance]) });
    } catch {
      // too few trials hold these parameters: the section is left out
    }
  };
  tryScope('every trial');
  const own = Object.keys(complete.find((t) => t.number === best.trial)?.params ?? {}).filter((p) => p.startsWith(`${best.learner}.`));
  const holding = complete.filter((t) => own.every((p) => p in t.params)).length;
  if (own.length > 0 && holding >= MIN_IMPORTANCE_TRIALS) tryScope(`${best.learner} trials`, own);
  return out;
}

function sections(r: AutomlResult, imp: ReturnType<typeof importances>): Sections {
  const summary: [string, string][] = [
    ['Target', `${r.target} (${r.task}${r.classes.length > 0 ? `, ${r.classes.length} classes` : ''})`],
    ['Metric', `${r.metric} (${r.metric === 'log_loss' || r.metric === 'rmse' || r.metric === 'mae' ? 'lower' : 'higher'} is better)`],
    ['Rows', `${r.rows.dev} for model selection (${r.rows.cv === 'kfold' ? `${r.rows.folds}-fold CV` : 'one holdout'}), ${r.rows.test} held out for the test score${r.rows.droppedTarget > 0 ? `, ${r.rows.droppedTarget} dropped (target missing)` : ''}`],
    ['Trials', `${r.trialsRun} in ${r.seconds.toFixed(1)} s (${r.leaderboard.length} complete in the study ${JSON.stringify(r.study.studyName)})`],
    ['Delivered', r.ensemble === null ? `trial ${r.best.trial} (${r.best.learner}), refitted on every selection row` : `an ensemble of ${r.ensemble.members.length} pipelines (CV ${fmt(r.ensemble.cvScore)} against ${fmt(r.ensemble.bestSingleCvScore)} for the best alone)`],
  ];
  const tables: Sections['tables'] = [];
  if (r.testScores !== null) {
    tables.push({ heading: 'Test score', note: 'Scored once, on rows never used for selection.', header: ['metric', 'score'], rows: Object.entries(r.testScores).map(([m, v]) => [m, fmt(v)]) });
  }
  tables.push({
    heading: 'Leaderboard',
    note: r.leaderboard.length > REPORT_ROWS ? `The best ${REPORT_ROWS} of ${r.leaderboard.length} complete trials.` : undefined!,
    header: ['rank', 'trial', 'learner', `CV ${r.metric}`, 'std', 'seconds'],
    rows: r.leaderboard.slice(0, REPORT_ROWS).map((l) => [String(l.rank), String(l.trial), l.learner, fmt(l.score), fmt(l.std), l.seconds.toFixed(2)]),
  });
  const perLearner = new Map<string, AutomlResult['leaderboard'][number]>();
  for (const l of r.leaderboard) if (!perLearner.has(l.learner)) perLearner.set(l.learner, l);
  tables.push({
    heading: 'Best pipeline per learner',
    header: ['learner', 'trial', `CV ${r.metric}`, 'preprocessing', 'hyperparameters'],
    rows: [...perLearner.values()].map((l) => [l.learner, String(l.trial), fmt(l.score), JSON.stringify(l.spec.preprocess), JSON.stringify(l.spec.config)]),
  });
  if (r.ensemble !== null) {
    tables.push({ heading: 'Ensemble', header: ['trial', 'learner', 'weight'], rows: r.ensemble.members.map((m) => [String(m.trial), m.learner, fmt(m.weight)]) });
  }
  for (const i of imp) tables.push({ heading: `Parameter importance: ${i.scope}`, note: 'fANOVA over the study', header: ['parameter', 'importance'], rows: i.rows.map(([p, v]) => [p, v.toFixed(3)]) });
  tables.push({ heading: 'Learning curve', note: 'Best CV score so far against seconds since the first trial.', header: ['seconds', 'trial', `best ${r.metric}`], rows: r.curve.map((c) => [c.seconds.toFixed(1), String(c.trial), fmt(c.best)]) });
  return { title: `AutoML report: ${r.target}`, summary, tables };
}

function markdown(s: Sections): string {
  const cell = (c: string): string => c.replace(/\|/g, '\\|');
  const parts = [`# ${s.title}`, '', ...s.summary.map(([k, v]) => `- **${k}**: ${v}`)];
  for (const t of s.tables) {
    parts.push('', `## ${t.heading}`, '');
    if (t.note !== undefined) parts.push(t.note, '');
    parts.push(`| ${t.header.map(cell).join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`, ...t.rows.map((row) => `| ${row.map(cell).join(' | ')} |`));
  }
  return parts.join('\n') + '\n';
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function html(s: Sections, historySvg: string | null): string {
  const body = [`<h1>${esc(s.title)}</h1>`, '<ul>', ...s.summary.map(([k, v]) => `<li><b>${esc(k)}</b>: ${esc(v)}</li>`), '</ul>'];
  for (const t of s.tables) {
    body.push(`<h2>${esc(t.heading)}</h2>`);
    if (t.note !== undefined) body.push(`<p>${esc(t.note)}</p>`);
    body.push('<table>', `<tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`, ...t.rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`), '</table>');
    if (t.heading === 'Learning curve' && historySvg !== null) body.push('<h2>History</h2>', historySvg);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(s.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}th{background:#f3f3f3}</style>
</head><body>
${body.join('\n')}
</body></html>
`;
}

/** The report as Markdown or a standalone HTML page (the history chart inlined as SVG). */
export async function renderReport(result: AutomlResult, format: ReportFormat): Promise<string> {
  const json = await studyJSON(result.study);
  const s = sections(result, importances(json, result.best));
  if (format === 'md') return markdown(s);
  let svg: string | null = null;
  try {
    svg = (await plot('history', result.study, { format: 'svg', width: 800, height: 400 })) as string;
  } catch {
    svg = null; // a chart is a nicety: the tables carry the same numbers
  }
  return html(s, svg);
}
