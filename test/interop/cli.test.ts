/** `tunable export --format optuna-journal` and `tunable import`, run in-process through main(). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { floatDistribution } from '../../src/distributions/index.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { TrialState } from '../../src/trial/index.js';
import { tempDir } from '../helpers.js';
import { dump, expectSameStudy, optuna } from './optuna-helpers.js';

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: {} });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

async function trialsOf(db: string, name: string) {
  const s = new SqliteStorage(db);
  try {
    const id = await s.getStudyIdFromName(name);
    return {
      directions: await s.getStudyDirections(id),
      userAttrs: await s.getStudyUserAttrs(id),
      systemAttrs: await s.getStudySystemAttrs(id),
      trials: await s.getAllTrials(id),
    };
  } finally {
    await s.close();
  }
}

describe('tunable import / export with Optuna', () => {
  const dir = tempDir();
  const journal = join(dir, 'optuna.log');
  const rdb = join(dir, 'optuna.db');
  const db = join(dir, 'tunable.db');
  const storage = ['--storage', `sqlite:${db}`];

  beforeAll(async () => {
    await Promise.all([optuna('write', `journal:${journal}`), optuna('write', `sqlite:///${rdb}`)]);
  });

  it('imports a journal, one study or all, and exports it back for Optuna', async () => {
    const one = await cli('import', '--from', 'optuna-journal', journal, '--study-name', 'multi', ...storage);
    expect(one, one.stderr).toMatchObject({ code: 0, stdout: 'Imported study "multi": 4 trials' });
    const again = await cli('import', '--from', 'optuna-journal', journal, ...storage);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('tunable: ERR_DUPLICATED_STUDY: A study named "multi" already exists');
    const s2 = ['--storage', `sqlite:${join(dir, 'all.db')}`];
    const all = await cli('import', '--from', 'optuna-journal', journal, ...s2);
    expect(all.stdout.split('\n')).toEqual(['Imported study "mixed": 14 trials', 'Imported study "multi": 4 trials']);

    const out = join(dir, 'back.log');
    const exported = await cli('export', '--study-name', 'mixed', '--format', 'optuna-journal', '--out', out, ...s2);
    expect(exported, exported.stderr).toMatchObject({ code: 0, stdout: '' });
    const [back] = await dump(`journal:${out}`);
    expectSameStudy(back!, await trialsOf(join(dir, 'all.db'), 'mixed'));
  });

  it('imports from an Optuna SQLite database', async () => {
    const s = ['--storage', `sqlite:${join(dir, 'rdb.db')}`];
    const r = await cli('import', '--from', 'optuna-rdb', `sqlite:///${rdb}`, '--study-name', 'mixed', ...s);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'Imported study "mixed": 14 trials' });
    const [mixed] = await dump(`sqlite:///${rdb}`);
    expectSameStudy(mixed!, await trialsOf(join(dir, 'rdb.db'), 'mixed'));
  });

  it('reports bad usage and bad input with exit code 2, missing things with 1, writing nothing', async () => {
    const cases: [string[], number, RegExp][] = [
      [['import', journal, ...storage], 2, /ERR_INVALID_ARGUMENT: Missing `--from`/],
      [['import', '--from', 'optuna-csv', journal, ...storage], 2, /Expected one of "optuna-journal", "optuna-rdb" for `--from` but received "optuna-csv"/],
      [['import', '--from', 'optuna-journal', ...storage], 2, /Missing the journal FILE/],
      [['import', '--from', 'optuna-rdb', `sqlite:///${rdb}`, ...storage], 2, /Missing `--study-name`/],
      [['import', '--from', 'optuna-rdb', 'mysql://x/y', '--study-name', 'm', ...storage], 2, /Expected an Optuna RDB URL/],
      [['import', '--from', 'optuna-journal', join(dir, 'none.log'), ...storage], 1, /ERR_IO: Cannot read the Optuna journal .*none\.log/],
      [['import', '--from', 'optuna-journal', journal, '--study-name', 'nope', ...storage], 1, /ERR_NOT_FOUND: No study named "nope" in the Optuna journal/],
      [['import', '--from', 'optuna-rdb', `sqlite:///${rdb}`, '--study-name', 'nope', ...storage], 1, /ERR_NOT_FOUND: No study named "nope"/],
      [['export', '--study-name', 'multi', '--format', 'optuna-journal', ...storage], 2, /Pass `--out FILE` with `--format optuna-journal`/],
      [['export', '--study-name', 'nope', '--format', 'optuna-journal', '--out', join(dir, 'x.log'), ...storage], 1, /ERR_NOT_FOUND: Study named "nope"/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const corrupt = join(dir, 'corrupt.log');
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[6] = lines[6]!.slice(0, 30);
    writeFileSync(corrupt, lines.join('\n'));
    const s = ['--storage', `sqlite:${join(dir, 'corrupt.db')}`];
    const r = await cli('import', '--from', 'optuna-journal', corrupt, ...s);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ERR_INVALID_ARGUMENT: Invalid Optuna data in ".*corrupt\.log" at line 7: the line is not JSON/);
    // Checked before the storage is opened: not even the database file is created.
    expect((await cli('studies', ...s)).stdout).toMatch(/^No studies: ".*corrupt\.db" does not exist/);
  });

  it('refuses to export a study Optuna would load differently, naming the trial and parameter', async () => {
    const file = join(dir, 'odd.db');
    const st = new SqliteStorage(file);
    const id = await st.createStudy('odd', ['minimize']);
    await st.createTrial(id, { state: TrialState.COMPLETE, values: [1], params: { w: { internal: 0.1, distribution: floatDistribution(0, 0.30000000000000004, false, 0.1) } } });
    await st.close();
    const r = await cli('export', '--study-name', 'odd', '--format', 'optuna-journal', '--out', join(dir, 'odd.log'), '--storage', `sqlite:${file}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot carry study "odd", trial 0, "w" over: step 0\.1 does not divide/);
  });

  it('prints the import help', async () => {
    const r = await cli('import', '--help');
    expect(r.stdout).toMatch(/^tunable import --from optuna-journal FILE/);
  });
});
