/**
 * A memo keyed by (storage, id). Study and trial ids are unique only within one storage, and a sampler
 * instance may serve studies on several storages; the WeakMap lets a closed storage's entries go.
 */
import type { Storage } from '../storage/base.js';

export class PerStorage<T> {
  private readonly maps = new WeakMap<Storage, Map<number, T>>();

  get(s: Storage, k: number): T | undefined {
    return this.maps.get(s)?.get(k);
  }

  set(s: Storage, k: number, v: T): void {
    let m = this.maps.get(s);
    if (m === undefined) this.maps.set(s, (m = new Map()));
    m.set(k, v);
  }

  delete(s: Storage, k: number): void {
    this.maps.get(s)?.delete(k);
  }
}
