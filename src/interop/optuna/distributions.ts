/**
 * Distributions between Optuna's JSON form (`distribution_to_json`: {"name": <class>, "attributes":
 * {...}}) and ours. Optuna's deprecated classes (UniformDistribution, LogUniformDistribution,
 * DiscreteUniformDistribution, IntUniformDistribution, IntLogUniformDistribution) read as the float and
 * int distributions they are special cases of. A failure is a plain Error with the reason; callers name
 * the trial and parameter.
 */
import { categoricalDistribution, floatDistribution, intDistribution, type Distribution } from '../../distributions/index.js';
import { PyFloat, pyDumps, pyParse } from './pyjson.js';

/** A finite decimal as Python's Decimal(str(x)) sees it: mantissa × 10^exponent. */
function decimalOf(x: number): { m: bigint; e: number } {
  const [digits, exp] = String(x).toLowerCase().split('e') as [string, string | undefined];
  const [int, frac = ''] = digits.split('.') as [string, string | undefined];
  return { m: BigInt(int + frac), e: Number(exp ?? 0) - frac.length };
}

/** Whether `step` divides `high - low` in decimal arithmetic, as Optuna checks it (else it lowers `high`). */
function decimalDivides(low: number, high: number, step: number): boolean {
  const [l, h, s] = [decimalOf(low), decimalOf(high), decimalOf(step)];
  const e = Math.min(l.e, h.e, s.e);
  const scale = (d: { m: bigint; e: number }) => d.m * 10n ** BigInt(d.e - e);
  return (scale(h) - scale(l)) % scale(s) === 0n;
}

/** Optuna's JSON text of a distribution. Throws when Optuna would load it as a different distribution. */
export function toOptunaDistribution(d: Distribution): string {
  switch (d.type) {
    case 'float':
      if (d.step !== null && !decimalDivides(d.low, d.high, d.step)) {
        throw new Error(
          `step ${d.step} does not divide high - low = ${d.high} - ${d.low} exactly in decimal; Optuna would lower high (its FloatDistribution checks with Decimal)`,
        );
      }
      return pyDumps({
        name: 'FloatDistribution',
        attributes: { step: d.step === null ? null : new PyFloat(d.step), low: new PyFloat(d.low), high: new PyFloat(d.high), log: d.log },
      });
    case 'int':
      return pyDumps({ name: 'IntDistribution', attributes: { log: d.log, step: d.step, low: d.low, high: d.high } });
    case 'categorical':
      return pyDumps({ name: 'CategoricalDistribution', attributes: { choices: d.choices } });
  }
}

function attr(attrs: Record<string, unknown>, key: string, fallback?: unknown): unknown {
  if (Object.hasOwn(attrs, key)) return attrs[key];
  if (fallback !== undefined) return fallback;
  throw new Error(`its attributes lack ${JSON.stringify(key)}`);
}

/** Our distribution from Optuna's JSON text (or its parsed object). */
export function fromOptunaDistribution(json: unknown): Distribution {
  const o = typeof json === 'string' ? pyParse(json) : json;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error(`expected a distribution object, received ${JSON.stringify(json)}`);
  const { name, attributes } = o as { name?: unknown; attributes?: unknown };
  if (typeof name !== 'string' || attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
    throw new Error(`expected {"name", "attributes"}, received ${JSON.stringify(json)}`);
  }
  const a = attributes as Record<string, unknown>;
  switch (name) {
    case 'FloatDistribution':
      return floatDistribution(attr(a, 'low'), attr(a, 'high'), attr(a, 'log', false), attr(a, 'step', null));
    case 'UniformDistribution':
      return floatDistribution(attr(a, 'low'), attr(a, 'high'), false, null);
    case 'LogUniformDistribution':
      return floatDistribution(attr(a, 'low'), attr(a, 'high'), true, null);
    case 'DiscreteUniformDistribution':
      return floatDistribution(attr(a, 'low'), attr(a, 'high'), false, attr(a, 'q'));
    case 'IntDistribution':
      return intDistribution(attr(a, 'low'), attr(a, 'high'), attr(a, 'log', false), attr(a, 'step', 1));
    case 'IntUniformDistribution':
      return intDistribution(attr(a, 'low'), attr(a, 'high'), false, attr(a, 'step', 1));
    case 'IntLogUniformDistribution':
      return intDistribution(attr(a, 'low'), attr(a, 'high'), true, attr(a, 'step', 1));
    case 'CategoricalDistribution':
      return categoricalDistribution(attr(a, 'choices'));
    default:
      throw new Error(`unknown Optuna distribution class ${JSON.stringify(name)}`);
  }
}
