/**
 * JSON as Python's `json` module writes and reads it. Python writes NaN, Infinity and -Infinity as bare
 * tokens (JSON.parse refuses them) and tells a float from an int by the decimal point (`1.0` vs `1`),
 * which decides what Optuna hands back (a FloatDistribution parameter read as `1` becomes the int 1).
 */

/** A number written as a Python float (`1.0`, not `1`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A number's Python float literal: shortest round-trip digits (as Python's repr), always with a point or exponent. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0.0';
  const s = String(n);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** Python `json.dumps` text of `v`: PyFloat as floats, other numbers as JS writes them (integers stay integers). */
export function pyDumps(v: unknown): string {
  if (v instanceof PyFloat) return pyFloat(v.value);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : pyFloat(v);
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${pyDumps(x)}`).join(', ')}}`;
}

/** A parse failure: `at` is the offset in the text. */
export class PyJsonError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * Parses Python-written JSON. An integer literal beyond 2^53 is refused: a JS number would silently round
 * it (Python ints are exact). Objects are built without prototypes' help (`__proto__` is an own key).
 */
export function pyParse(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new PyJsonError(i >= text.length ? `unexpected end of data (expected ${what})` : `expected ${what} at column ${i + 1}`, i);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string, value: unknown): unknown => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail('a JSON value');
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      i++;
    }
    if (i >= text.length) fail('a closing quote');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('a valid string');
    }
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a key string');
        const k = str();
        ws();
        if (text[i] !== ':') fail('":"');
        i++;
        Object.defineProperty(out, k, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return out;
        }
        fail('"," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return out;
        }
        fail('"," or "]"');
      }
    }
    if (c === '"') return str();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    if (c === 'N') return literal('NaN', NaN);
    if (c === 'I') return literal('Infinity', Infinity);
    if (c === '-' && text.startsWith('-Infinity', i)) return literal('-Infinity', -Infinity);
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return fail('a JSON value');
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) {
      throw new PyJsonError(`the integer ${m[0]} at column ${i + 1} is beyond 2^53 and would lose digits`, i);
    }
    i += m[0].length;
    return n;
  };
  const v = value();
  ws();
  if (i < text.length) fail('the end of the value');
  return v;
}
