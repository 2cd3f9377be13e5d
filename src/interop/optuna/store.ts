/**
 * Writes checked studies into a storage, all or nothing: every target name is checked to be free first,
 * and a write that fails part way (a server gone, a name a storage refuses) deletes what this call
 * created. Our storages have no multi-call transaction; deleting the new studies is the equivalent.
 */
import { DuplicatedStudyError, NotFoundError } from '../../errors.js';
import type { Storage } from '../../storage/base.js';
import { createStorage } from '../../storage/index.js';
import type { CheckedStudy } from './record.js';

/** One imported study: its name and id in the target storage, and how many trials it got. */
export interface ImportedStudy {
  readonly studyName: string;
  readonly studyId: number;
  readonly nTrials: number;
}

/** Runs `f` on the storage; one opened here from a URL is closed afterwards. */
export async function withStorage<T>(urlOrStorage: string | Storage, f: (s: Storage) => Promise<T>): Promise<T> {
  const storage = createStorage(urlOrStorage);
  try {
    return await f(storage);
  } finally {
    if (typeof urlOrStorage === 'string') await storage.close();
  }
}

async function requireFree(storage: Storage, name: string): Promise<void> {
  try {
    await storage.getStudyIdFromName(name);
  } catch (e) {
    if (e instanceof NotFoundError) return;
    throw e;
  }
  throw new DuplicatedStudyError(name);
}

export async function storeStudies(storage: Storage, studies: readonly CheckedStudy[]): Promise<ImportedStudy[]> {
  for (const s of studies) await requireFree(storage, s.name);
  const created: number[] = [];
  const out: ImportedStudy[] = [];
  try {
    for (const s of studies) {
      const id = await storage.createStudy(s.name, s.directions);
      created.push(id);
      for (const [k, v] of Object.entries(s.userAttrs)) await storage.setStudyUserAttr(id, k, v);
      for (const [k, v] of Object.entries(s.systemAttrs)) await storage.setStudySystemAttr(id, k, v);
      for (const t of s.templates) await storage.createTrial(id, t);
      out.push({ studyName: s.name, studyId: id, nTrials: s.templates.length });
    }
  } catch (e) {
    for (const id of created) await storage.deleteStudy(id).catch(() => undefined);
    throw e;
  }
  return out;
}
