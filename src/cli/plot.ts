/**
 * `tunable plot KIND`: one chart of a study written to an HTML, SVG or PNG file (src/plot/). Every flag
 * is checked before the storage is opened, and the objective index against the study before anything
 * is written.
 */
import { InvalidArgumentError } from '../errors.js';
import { MAX_SIZE, MIN_SIZE, PLOT_KINDS, plot, resolvePlotOptions, type PlotKind, type PlotOptions } from '../plot/export.js';
import { loadStudy } from '../study/study.js';
import { oneOf } from '../validate.js';
import { bool, integer, list, required, text, type FlagName, type Flags } from './args.js';
import type { Command } from './command.js';
import { existing } from './storage-url.js';

export const PLOT_HELP = `Usage: tunable plot KIND --study-name NAME --out FILE [--storage URL] [options]

Writes one chart of the study to FILE: a standalone page (.html, ECharts inlined, nothing loaded from
the network), an SVG (.svg) or a PNG (.png), by the file's extension.

Kinds and their options:
  history       each complete trial's value and the best so far   [--objective I] [--log]
  importance    fANOVA hyperparameter importance                  [--objective I] [--params a,b,...] [--seed N]
  parallel      parallel coordinates of params and the objective  [--objective I] [--params a,b,...]
  contour       the objective over two params (a heat map)        --params X,Y [--objective I]
  slice         the objective against one param                   --param P [--objective I]
  intermediate  learning curves, pruned trials marked
  pareto        two objectives, the Pareto front highlighted      [--objectives I,J]

Options:
  --objective I        which objective, counted from 0 (default 0)
  --objectives I,J     the objectives of a Pareto front (default 0,1)
  --params a,b         parameter names, comma-separated
  --param P            the parameter of a slice
  --log                log scale for the values (history; refused when a value is zero or negative)
  --seed N             seed of the importance forest (default 0)
  --width W            pixels, ${MIN_SIZE} to ${MAX_SIZE} (default 900; an HTML page fills the window without it)
  --height H           pixels, ${MIN_SIZE} to ${MAX_SIZE} (default 600)

Large studies are downsampled where drawing everything would not help (docs/plots.md says where).

Exit status:
  0  the file was written
  1  the operation failed (database or study not found, storage error, FILE not writable)
  2  bad usage or input (unknown kind or option, an option the kind does not take, an unknown
     parameter, an objective index out of range, --log over non-positive values)`;

/** The flags each kind takes besides --study-name, --out and --storage. */
const KIND_FLAGS: Record<PlotKind, readonly FlagName[]> = {
  history: ['objective', 'log'],
  importance: ['objective', 'params', 'seed'],
  parallel: ['objective', 'params'],
  contour: ['objective', 'params'],
  slice: ['objective', 'param'],
  intermediate: [],
  pareto: ['objectives'],
};

const ALL_FLAGS: readonly FlagName[] = ['kind', 'study-name', 'out', 'objective', 'objectives', 'params', 'param', 'log', 'seed', 'width', 'height'];

/** A comma-separated list: every entry non-empty, spaces around the commas dropped. */
function names(flags: Flags, name: FlagName): string[] | undefined {
  const v = text(flags, name);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new InvalidArgumentError(`Expected comma-separated names for \`--${name}\` but received ${JSON.stringify(v)}`);
  return parts;
}

function optional(flags: Flags, name: FlagName, min: number, max?: number): number | undefined {
  const v = text(flags, name);
  return v === undefined ? undefined : integer(name, v, min, max);
}

/** The flags as `plot()` options, checked (all but the objective's range, which needs the study). */
function plotOptions(kind: PlotKind, flags: Flags): PlotOptions {
  for (const f of ALL_FLAGS) {
    if (['kind', 'study-name', 'out', 'width', 'height'].includes(f) || KIND_FLAGS[kind].includes(f) || !flags.has(f)) continue;
    const takers = PLOT_KINDS.filter((k) => KIND_FLAGS[k].includes(f));
    throw new InvalidArgumentError(`\`--${f}\` does not apply to \`tunable plot ${kind}\` (it applies to ${takers.join(', ')})`);
  }
  const o: { -readonly [K in keyof PlotOptions]: PlotOptions[K] } = { out: required(flags, 'out') };
  const objective = optional(flags, 'objective', 0);
  if (objective !== undefined) o.objective = objective;
  if (bool(flags, 'log')) o.log = true;
  const seed = optional(flags, 'seed', 0);
  if (seed !== undefined) o.seed = seed;
  const width = optional(flags, 'width', MIN_SIZE, MAX_SIZE);
  if (width !== undefined) o.width = width;
  const height = optional(flags, 'height', MIN_SIZE, MAX_SIZE);
  if (height !== undefined) o.height = height;
  const params = names(flags, 'params');
  if (kind === 'contour') {
    if (params === undefined || params.length !== 2) {
      throw new InvalidArgumentError(`Expected two parameters for \`--params\` (X,Y) of a contour but received ${params === undefined ? 'none' : JSON.stringify(params.join(','))}`);
    }
    [o.x, o.y] = params as [string, string];
  } else if (params !== undefined) {
    o.params = params;
  }
  if (kind === 'slice') o.param = required(flags, 'param');
  const objectives = names(flags, 'objectives');
  if (objectives !== undefined) {
    if (objectives.length !== 2) throw new InvalidArgumentError(`Expected two objective indices for \`--objectives\` (I,J) but received ${JSON.stringify(objectives.join(','))}`);
    o.objectives = [integer('objectives', objectives[0]!, 0), integer('objectives', objectives[1]!, 0)];
  }
  resolvePlotOptions(kind, o);  // the extension of --out, and the rest, before the storage is opened
  return o;
}

export const plotCommand: Command = {
  flags: ALL_FLAGS,
  help: PLOT_HELP,
  async run(flags, { storage, out }) {
    const given = list(flags, 'kind')[0];
    if (given === undefined) throw new InvalidArgumentError(`Missing the kind of plot: tunable plot KIND (one of ${PLOT_KINDS.join(', ')}) --study-name NAME --out FILE`);
    const kind = oneOf('KIND', given, PLOT_KINDS);
    const studyName = required(flags, 'study-name');
    const opts = plotOptions(kind, flags);
    const study = await loadStudy({ studyName, storage: existing(storage) });
    try {
      const n = study.directions.length;
      // Checked here so the message names the flag rather than the library's option.
      if (opts.objective !== undefined) integer('objective', String(opts.objective), 0, n - 1);
      for (const i of opts.objectives ?? []) integer('objectives', String(i), 0, n - 1);
      const data = await plot(kind, study, opts);
      out(`Wrote ${opts.out} (${kind}, ${data.length} bytes)`);
    } finally {
      await study.storage.close();
    }
  },
};
