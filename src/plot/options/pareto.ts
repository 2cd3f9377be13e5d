/**
 * Pareto front: two objectives of a multi-objective study against each other, one point per COMPLETE
 * trial, the non-dominated ones highlighted. Dominance is over all of the study's objectives under their
 * directions, as `study.bestTrials` has it: with three objectives or more, a highlighted trial may look
 * dominated in the two drawn.
 *
 * Series `id`s: `front` (the non-dominated trials) and `dominated`; data `[valueA, valueB, trialNumber]`.
 */
import type { EChartsOption } from 'echarts';
import type { StudyJSON, TrialJSON } from '../../trial/json.js';
import { InvalidArgumentError } from '../../errors.js';
import { invalid } from '../../validate.js';
import { BASE, COLORS, SCATTER_LARGE_THRESHOLD, checkOptions, completeTrials, scatterScale, emptyOption, objectiveIndex, objectiveName, title } from './common.js';

export interface ParetoOptions {
  /** The objectives on the x and y axes (indices into the directions); [0, 1] by default. */
  readonly objectives?: readonly [number, number];
}

const WHAT = 'Pareto front';

export function paretoOption(study: StudyJSON, opts: ParetoOptions = {}): EChartsOption {
  const o = checkOptions<ParetoOptions>('paretoOption options', opts, ['objectives']);
  if (study.directions.length < 2) {
    throw new InvalidArgumentError(
      `Expected a study with several objectives for a Pareto front but study ${JSON.stringify(study.name)} has 1 (use the history plot)`,
    );
  }
  let a = 0;
  let b = 1;
  if (o.objectives !== undefined) {
    if (!Array.isArray(o.objectives) || o.objectives.length !== 2) throw invalid('objectives', 'two objective indices', o.objectives);
    a = objectiveIndex(study, o.objectives[0], 'objectives[0]');
    b = objectiveIndex(study, o.objectives[1], 'objectives[1]');
    if (a === b) throw invalid('objectives[1]', `an objective other than \`objectives[0]\` (${a})`, b);
  }
  const trials = completeTrials(study);
  if (trials.length === 0) return emptyOption(study, WHAT, 'no complete trials yet');
  const front = new Set(nonDominated(trials, study.directions));
  const point = (t: TrialJSON): [number, number, number] => [t.values![a]!, t.values![b]!, t.number];
  const frontData = trials.filter((t) => front.has(t)).map(point);
  const rest = trials.filter((t) => !front.has(t)).map(point);
  const nameA = objectiveName(study, a);
  const nameB = objectiveName(study, b);
  const dims = [{ name: 'a', displayName: nameA }, { name: 'b', displayName: nameB }, { name: 'trial', displayName: 'Trial' }];
  const large = rest.length > SCATTER_LARGE_THRESHOLD;
  return {
    ...BASE,
    title: title(study, WHAT),
    legend: { data: ['Trial', 'Best trial'], top: 58 },
    grid: { top: 100, left: 70, right: 40, bottom: 60 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', name: `${nameA} (${study.directions[a]})`, nameLocation: 'middle', nameGap: 30, scale: true },
    yAxis: { type: 'value', name: `${nameB} (${study.directions[b]})`, nameLocation: 'middle', nameGap: 50, scale: true },
    series: [
      {
        id: 'dominated',
        name: 'Trial',
        type: 'scatter',
        dimensions: dims,
        data: rest,
        symbolSize: large ? 3 : 6,
        itemStyle: { color: COLORS.points, opacity: 0.6 },
        ...scatterScale(large),
      },
      {
        id: 'front',
        name: 'Best trial',
        type: 'scatter',
        dimensions: dims,
        data: frontData,
        symbolSize: 8,
        itemStyle: { color: COLORS.best },
        z: 3,
      },
    ],
  };
}

/**
 * The non-dominated trials under `directions` (every objective). Sorted lexicographically in the
 * minimising sense, a trial can only be dominated by one before it, and only by one already on the
 * front (domination is transitive): O(n log n + n·|front|) rather than O(n²), and O(n log n) for two.
 */
export function nonDominated(trials: readonly TrialJSON[], directions: readonly string[]): TrialJSON[] {
  const signs = directions.map((d) => (d === 'minimize' ? 1 : -1));
  const key = (t: TrialJSON) => t.values!.map((v, i) => signs[i]! * v);
  const keyed = trials.map((t) => ({ t, k: key(t) }));
  keyed.sort((p, q) => {
    for (let i = 0; i < signs.length; i++) if (p.k[i] !== q.k[i]) return p.k[i]! - q.k[i]!;
    return 0;
  });
  const front: { t: TrialJSON; k: number[] }[] = [];
  for (const p of keyed) {
    // With two objectives the last point on the front has the smallest second value of all of them: if
    // any front point dominates p, so does that one, which keeps a front of thousands linear.
    const last = front[front.length - 1];
    const dominated = signs.length === 2 ? last !== undefined && dominates(last.k, p.k) : front.some((f) => dominates(f.k, p.k));
    if (!dominated) front.push(p);
  }
  return front.map((f) => f.t).sort((x, y) => x.number - y.number);
}

/** `a` no worse than `b` in every (minimised) objective and better in one. */
function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) better = true;
  }
  return better;
}
