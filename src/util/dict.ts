/**
 * Records keyed by user-chosen names (parameters, attributes). They have no prototype, so a name that
 * exists on `Object.prototype` (`constructor`, `toString`, `__proto__`) is an ordinary key: it neither
 * reads an inherited member nor, when assigned, replaces the record's prototype.
 */
export type Dict<T> = Record<string, T>;

/** An empty record without a prototype, optionally filled from `entries` or another record. */
export function dict<T>(from?: Readonly<Record<string, T>> | Iterable<readonly [string, T]>): Dict<T> {
  const out = Object.create(null) as Dict<T>;
  if (from === undefined) return out;
  const entries = Symbol.iterator in from ? (from as Iterable<readonly [string, T]>) : Object.entries(from as Record<string, T>);
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** Whether `rec` has `key` as its own property (never an inherited member). */
export function has(rec: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(rec, key);
}

/** `rec[key]` when `key` is its own property, else undefined. */
export function get<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return has(rec, key) ? rec[key] : undefined;
}
