/** A study Optuna ran, imported from its journal, informs a new study as a transfer source. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createStudy, GPSampler, importOptunaJournal, MemoryStorage, type Trial } from '../../src/index.js';
import { TRANSFER_ATTR } from '../../src/samplers/gp/sampler.js';
import { PYTHON } from './optuna-helpers.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tunable-optuna-transfer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Optuna's TPE tunes a bowl with its minimum at (0.3, -0.2) for 30 trials, into a journal file. */
const OPTUNA_RUN = `
import sys, warnings
warnings.simplefilter("ignore")
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(sys.argv[1]))
study = optuna.create_study(study_name="last-week", storage=storage, sampler=optuna.samplers.TPESampler(seed=3))
study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.3) ** 2 + (t.suggest_float("y", -1, 1) + 0.2) ** 2, n_trials=30)
print(repr(study.best_params["x"]), repr(study.best_params["y"]))
`;

const target = (t: Trial): number => (t.suggestFloat('x', -1, 1) - 0.35) ** 2 + (t.suggestFloat('y', -1, 1) + 0.25) ** 2;

describe('transfer from a study imported from Optuna', () => {
  it('starts from Optuna\'s best configuration and proposes with RGPE from it', async () => {
    const journal = join(dir, 'last-week.log');
    const { stdout } = await run(PYTHON, ['-c', OPTUNA_RUN, journal], { timeout: 120_000 });
    const [bx, by] = stdout.trim().split(' ').map(Number);
    const storage = new MemoryStorage();
    const [imported] = await importOptunaJournal(journal, { storage });
    expect(imported!.nTrials).toBe(30);
    const study = await createStudy({ sampler: new GPSampler({ seed: 0, transferFrom: [{ storage, studyName: 'last-week' }] }) });
    await study.optimize(target, { nTrials: 8 });
    expect(study.trials[0]!.params).toEqual({ x: bx, y: by });
    expect(study.trials[0]!.systemAttrs['transfer:source']).toBe('last-week');
    const weights = study.trials.at(-1)!.systemAttrs[TRANSFER_ATTR] as { weights: Record<string, number> };
    expect(Object.keys(weights.weights)).toEqual(['last-week']);
    // Related source, first trial next to the optimum: after 8 trials the study is close to it.
    expect(study.bestValue).toBeLessThan(0.01);
  });
});
