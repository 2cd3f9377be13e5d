/** `tunable import`: studies from Optuna (a journal file or a relational database) into a storage. */
import { importOptunaJournal, importOptunaRdb } from '../interop/optuna/index.js';
import { InvalidArgumentError } from '../errors.js';
import { choice, required, text } from './args.js';
import type { Command } from './command.js';

const SOURCES = ['optuna-journal', 'optuna-rdb'] as const;

const HELP = `tunable import --from optuna-journal FILE [--study-name NAME] [--storage URL]
tunable import --from optuna-rdb URL --study-name NAME [--storage URL]

Imports studies Optuna wrote into the storage, under their own names:
  optuna-journal  an Optuna 3.1 journal file (JournalFileStorage): the study NAME, or every study in it
  optuna-rdb      an Optuna RDBStorage database: sqlite:///relative.db, sqlite:////absolute.db or
                  postgresql://user@host:port/database (read only)
The whole source is read and checked before anything is written; a study name the storage already has,
a corrupt or truncated journal, or a value the storage cannot keep (an unknown distribution class, a NaN
intermediate value) stops the import with nothing written. See docs/optuna.md.
Prints one line per imported study.`;

export const importCommand: Command = {
  flags: ['from', 'source', 'study-name'],
  help: HELP,
  async run(flags, { storage, out }) {
    const from = choice('from', required(flags, 'from'), SOURCES);
    const source = text(flags, 'source');
    if (source === undefined) {
      throw new InvalidArgumentError(`Missing the ${from === 'optuna-journal' ? 'journal FILE' : 'database URL'} to import (tunable import --help)`);
    }
    const studyName = text(flags, 'study-name');
    const imported =
      from === 'optuna-journal'
        ? await importOptunaJournal(source, studyName === undefined ? { storage } : { storage, studyName })
        : [await importOptunaRdb(source, { storage, studyName: required(flags, 'study-name') })];
    for (const s of imported) out(`Imported study ${JSON.stringify(s.studyName)}: ${s.nTrials} trial${s.nTrials === 1 ? '' : 's'}`);
  },
};
