/**
 * Optuna interop: a study to and from Optuna 3.1's journal file (JournalFileStorage), and from Optuna's
 * relational databases (RDBStorage on SQLite or PostgreSQL). See docs/optuna.md for what maps to what.
 */
import { appendFileSync, existsSync, statSync } from 'node:fs';
import { DuplicatedStudyError, IOError, NotFoundError } from '../../errors.js';
import type { Storage } from '../../storage/base.js';
import { isStorage } from '../../storage/index.js';
import { ioReason } from '../../util/io-reason.js';
import { invalid, options, string } from '../../validate.js';
import { journalStudies, readJournalText, replayJournal } from './journal-read.js';
import { journalLines } from './journal-write.js';
import { readRdbStudy } from './rdb-read.js';
import { checkStudy } from './record.js';
import { storeStudies, withStorage, type ImportedStudy } from './store.js';

export { NotRepresentableError, OptunaFormatError } from './errors.js';
export type { ImportedStudy } from './store.js';

/** A study to export: a loaded Study (anything with its storage, id and name), or where to find one. */
export type ExportSource =
  | { readonly storage: Storage; readonly studyId: number; readonly studyName: string }
  | { readonly storage: string | Storage; readonly studyName: string };

/** What an export wrote: the study and its id among the journal's studies (Optuna's `study_id`). */
export interface ExportedStudy {
  readonly studyName: string;
  readonly optunaStudyId: number;
  readonly nTrials: number;
}

/** A study name the journal already holds: Optuna would not create a second one. */
export class JournalStudyExistsError extends DuplicatedStudyError {
  constructor(studyName: string, file: string) {
    super(studyName);
    this.message = `The Optuna journal ${JSON.stringify(file)} already has a study named ${JSON.stringify(studyName)}`;
  }
}

/**
 * Writes the study to the Optuna journal `file`: created when missing, appended to when it holds other
 * studies (Optuna keeps many studies in one journal). The whole study is rendered, and an existing file
 * replayed and checked, before one append writes it. No Optuna process may be writing the file meanwhile.
 */
export async function exportOptunaJournal(source: ExportSource, file: string): Promise<ExportedStudy> {
  if (source === null || typeof source !== 'object') throw invalid('source', 'a Study or { storage, studyName }', source);
  string('file', file);
  const studyName = string('source.studyName', source.studyName);
  const withId = 'studyId' in source && typeof source.studyId === 'number';
  if (!withId) options('source', source, ['storage', 'studyName']);
  if (typeof source.storage !== 'string' && !isStorage(source.storage)) throw invalid('source.storage', 'a storage URL or a Storage', source.storage);
  const text = await withStorage(source.storage, async (storage) => {
    const id = withId ? (source as { studyId: number }).studyId : await storage.getStudyIdFromName(studyName);
    const existing = existsSync(file) && statSync(file).size > 0 ? replayJournal(readJournalText(file), file) : null;
    if (existing !== null && [...existing.studies.values()].some((s) => s.name === studyName)) throw new JournalStudyExistsError(studyName, file);
    const optunaStudyId = existing?.nextStudyId ?? 0;
    const trials = await storage.getAllTrials(id);
    const lines = journalLines(
      {
        name: studyName,
        directions: await storage.getStudyDirections(id),
        userAttrs: await storage.getStudyUserAttrs(id),
        systemAttrs: await storage.getStudySystemAttrs(id),
        trials,
      },
      optunaStudyId,
    );
    return { lines, optunaStudyId, nTrials: trials.length };
  });
  try {
    appendFileSync(file, text.lines);
  } catch (err) {
    throw new IOError(`Cannot write the Optuna journal ${JSON.stringify(file)}: ${ioReason(err)}`);
  }
  return { studyName, optunaStudyId: text.optunaStudyId, nTrials: text.nTrials };
}

export interface ImportOptions {
  /** Where to import to: a storage URL or a Storage. */
  readonly storage: string | Storage;
  /** The study to import; for a journal, every study in it when absent. */
  readonly studyName?: string;
}

function importOptions(value: unknown, nameRequired: boolean): { storage: string | Storage; studyName: string | undefined } {
  if (value === null || typeof value !== 'object') throw invalid('options', 'an object { storage, studyName }', value);
  const o = options<ImportOptions>('options', value, ['storage', 'studyName']);
  if (typeof o.storage !== 'string' && !isStorage(o.storage)) throw invalid('options.storage', 'a storage URL or a Storage', o.storage);
  const studyName = o.studyName === undefined && !nameRequired ? undefined : string('options.studyName', o.studyName);
  return { storage: o.storage, studyName };
}

/**
 * Imports studies of an Optuna journal into a storage, under their own names: the one named
 * `studyName`, or all of them. The whole file is parsed, replayed and checked before anything is written;
 * a study name the storage already has is refused (DuplicatedStudyError); a failure part way leaves the
 * storage as it was.
 */
export async function importOptunaJournal(file: string, opts: ImportOptions): Promise<ImportedStudy[]> {
  string('file', file);
  const o = importOptions(opts, false);
  let studies = journalStudies(replayJournal(readJournalText(file), file));
  if (o.studyName !== undefined) {
    const chosen = studies.filter((s) => s.name === o.studyName);
    if (chosen.length === 0) {
      throw new NotFoundError(`No study named ${JSON.stringify(o.studyName)} in the Optuna journal ${JSON.stringify(file)} (its studies: ${JSON.stringify(studies.map((s) => s.name))})`);
    }
    studies = chosen;
  }
  const checked = studies.map(checkStudy);
  return withStorage(o.storage, (storage) => storeStudies(storage, checked));
}

/**
 * Imports the study `studyName` of an Optuna database (`sqlite:///file.db`, `postgresql://…`) into a
 * storage under the same name; checked whole before anything is written, as importOptunaJournal.
 */
export async function importOptunaRdb(url: string, opts: ImportOptions & { readonly studyName: string }): Promise<ImportedStudy> {
  string('url', url);
  const o = importOptions(opts, true);
  const checked = checkStudy(await readRdbStudy(url, o.studyName!));
  const [imported] = await withStorage(o.storage, (storage) => storeStudies(storage, [checked]));
  return imported!;
}
