/**
 * Checkpoint stores: where population-based training keeps each member's weights between intervals, and
 * where an exploiting member copies a better member's weights from.
 *
 * Contract (any object with these three methods is a store):
 *   - `save(key, artifacts)` stores a checkpoint under `key`, replacing one already there. When the
 *     promise resolves the checkpoint is complete: a later `load(key)` sees all of it or, after a crash
 *     mid-save, the previous one — never half of each.
 *   - `load(key)` resolves to the artifacts last saved under `key`; an unknown key rejects with
 *     NotFoundError. The caller owns the returned buffers (a store hands out copies or fresh reads).
 *   - `delete(key)` removes the checkpoint; deleting an unknown key is not an error.
 *   - `close?()` is called once when training ends (the default folder store removes its temp dir).
 * Keys are made of letters, digits, `.`, `_` and `-` (they become folder names), at most 200 characters.
 * Calls for different keys may run concurrently; training never saves and loads one key at once.
 *
 * Artifacts are TensorFlow.js `ModelArtifacts`: `modelTopology`, `weightSpecs` (model weights first, then
 * the optimizer's, `group: 'optimizer'`) and `weightData` — the layout `model.save()` writes, so a
 * folder checkpoint loads with `tf.loadLayersModel('file://<dir>/<key>/model.json')` under tfjs-node.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { NotFoundError } from '../../errors.js';
import { invalid } from '../../validate.js';

export type CheckpointArtifacts = tfTypes.io.ModelArtifacts;

export interface CheckpointStore {
  save(key: string, artifacts: CheckpointArtifacts): Promise<void>;
  load(key: string): Promise<CheckpointArtifacts>;
  delete(key: string): Promise<void>;
  close?(): Promise<void>;
}

const KEY = /^[A-Za-z0-9._-]{1,200}$/;

/** Checks a checkpoint key (see the contract above); `..` and `.` alone would escape a folder store. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || !KEY.test(key) || key === '.' || key === '..') {
    throw invalid('key', 'a checkpoint key of letters, digits, ".", "_" and "-" (at most 200 characters)', key);
  }
  return key;
}

/** The weight bytes of `artifacts` as one ArrayBuffer (tfjs may hand out a list of shards). */
export function weightBytes(artifacts: CheckpointArtifacts): ArrayBuffer {
  const data = artifacts.weightData;
  if (data === undefined) return new ArrayBuffer(0);
  if (!Array.isArray(data)) return data as ArrayBuffer;
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

/** A deep copy with one weight buffer, so neither side can change the other's bytes. */
export function copyArtifacts(artifacts: CheckpointArtifacts): CheckpointArtifacts {
  const { weightData: _data, ...rest } = artifacts;
  const copy = structuredClone(rest) as CheckpointArtifacts;
  copy.weightData = weightBytes(artifacts).slice(0);
  return copy;
}

/** A store in this process's memory (a Map of copies): fast, gone when the process ends. */
export function memoryCheckpointStore(): CheckpointStore & { readonly keys: () => string[] } {
  const map = new Map<string, CheckpointArtifacts>();
  return {
    async save(key, artifacts) {
      map.set(checkKey(key), copyArtifacts(artifacts));
    },
    async load(key) {
      const a = map.get(checkKey(key));
      if (a === undefined) throw new NotFoundError(`No checkpoint ${JSON.stringify(key)} in the memory store`);
      return copyArtifacts(a);
    },
    async delete(key) {
      map.delete(checkKey(key));
    },
    keys: () => [...map.keys()],
  };
}

/** Whether `value` has the methods of a CheckpointStore. */
export function isCheckpointStore(value: unknown): value is CheckpointStore {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v['save'] === 'function' && typeof v['load'] === 'function' && typeof v['delete'] === 'function';
}
