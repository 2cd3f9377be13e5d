/**
 * The samplers compared on a target study: each cold (no sources) and with its sources, plus the
 * warm start alone (the best source configurations enqueued into a cold GP study, as many as the
 * GPSampler's own start takes), which separates what the first trials gain from what the ensemble adds
 * afterwards, and the cold GP with other seeds: how far two cold runs' medians differ by chance.
 */
import { enqueueFromSources, GPSampler, TPESampler, type Sampler, type Study } from '../../src/index.js';

export interface Variant {
  readonly key: string;
  /** Reads sources: its results are per family instance, not shared between families with the same target. */
  readonly usesSources: boolean;
  readonly make: (seed: number, sources: readonly Study[]) => Sampler;
  /** Runs on the target study before its trials (the enqueued warm start). */
  readonly prepare?: (study: Study, sources: readonly Study[]) => Promise<void>;
}

/** Source configurations the warm-start variant enqueues: the GPSampler's default start, one per source, at most 5. */
export const enqueued = (sources: number): number => Math.min(sources, 5);
/** Added to the seed of the reseeded cold GP. */
export const RESEED = 1000;

const gpCold = (seed: number): Sampler => new GPSampler({ seed, warnIndependentSampling: false });

const ALL: readonly Variant[] = [
  { key: 'gp', usesSources: false, make: gpCold },
  {
    key: 'gp+transfer', usesSources: true,
    make: (seed, sources) => new GPSampler({ seed, warnIndependentSampling: false, transferFrom: [...sources] }),
  },
  {
    key: 'gp+enqueue', usesSources: true, make: gpCold,
    prepare: async (study, sources) => {
      await enqueueFromSources(study, [...sources], { n: enqueued(sources.length) });
    },
  },
  { key: 'gp-reseeded', usesSources: false, make: (seed) => gpCold(seed + RESEED) },
  { key: 'tpe', usesSources: false, make: (seed) => new TPESampler({ seed }) },
  { key: 'tpe+transfer', usesSources: true, make: (seed, sources) => new TPESampler({ seed, transferFrom: [...sources] }) },
];

export const VARIANT_KEYS: readonly string[] = ALL.map((v) => v.key);

/** The variants named in `wanted`, in VARIANT_KEYS order. */
export function variants(wanted: readonly string[]): Variant[] {
  for (const w of wanted) {
    if (!VARIANT_KEYS.includes(w)) throw new Error(`--variants: unknown ${JSON.stringify(w)} (expected ${VARIANT_KEYS.join(', ')})`);
  }
  return ALL.filter((v) => wanted.includes(v.key));
}

/** The cold variant a variant with sources is judged against. */
export const coldOf = (key: string): string => (key.startsWith('tpe') ? 'tpe' : 'gp');
