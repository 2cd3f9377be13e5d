/**
 * The CLI's failure paths: every bad input ends in one line `tunable: <CODE>: <message>` on stderr,
 * a documented exit code (2 bad usage or input, 1 the operation failed) and no stack trace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStudy } from '../../src/study/study.js';
import { tempDir, cliArgs } from '../helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const dir = tempDir('tunable-cli-errors-');
const STORAGE = ['--storage', 'sqlite:errors.db'];
// Fixtures for the storage cases: a text file and a directory where a database is expected.
writeFileSync(join(dir, 'not-a-db.txt'), 'not a database\n'.repeat(100));
mkdirSync(join(dir, 'a-directory'));

function cli(...args: string[]): Result {
  const r = spawnSync(process.execPath, cliArgs(...args), { cwd: dir, encoding: 'utf8', env: { ...process.env, TUNABLE_DEBUG: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, prefixed, naming `text`, no stack trace, the given exit code, nothing on stdout. */
function expectFailure(r: Result, code: number, text: string | RegExp): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^tunable: /);
  if (typeof text === 'string') expect(r.stderr).toContain(text);
  else expect(r.stderr).toMatch(text);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
}

function trialCount(study: string): number {
  const r = cli('trials', '--study-name', study, '--format', 'json', ...STORAGE);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as unknown[]).length;
}

describe('tunable CLI failures', () => {
  cli('create-study', '--study-name', 's', ...STORAGE);

  describe('misspelled keys in a --search-space distribution', () => {
    it.each([
      ['lg', '{"x": {"type": "float", "low": 1, "high": 10, "lg": true}}', 'log'],
      ['setp', '{"x": {"type": "int", "low": 1, "high": 10, "setp": 3}}', 'step'],
      ['chioces', '{"x": {"type": "categorical", "chioces": ["a"]}}', 'choices'],
    ])('refuses `%s`, naming the parameter and the key it meant, and stores no trial', (key, space, meant) => {
      const r = cli('ask', '--study-name', 's', '--search-space', space, ...STORAGE);
      expectFailure(r, 2, `tunable: ERR_UNKNOWN_OPTION: Unknown option \`${key}\` in \`--search-space.x\` (did you mean \`${meant}\`?)`);
      expect(trialCount('s')).toBe(0);
    });

    it('names the parameter whose value is not a distribution', () => {
      expectFailure(cli('ask', '--study-name', 's', '--search-space', '{"x": 5}', ...STORAGE), 2, '`--search-space.x`');
    });

    it('refuses JSON that does not parse in one line', () => {
      expectFailure(cli('ask', '--study-name', 's', '--search-space', '{"x": ', ...STORAGE), 2, 'Expected JSON for `--search-space`');
    });
  });

  describe('files that cannot be written', () => {
    it.each([
      ['a missing directory', '/nonexistent/x.csv', 'no such file or directory'],
      ['a directory', '.', 'is a directory'],
    ])('export --out into %s prints one line and exits 1', (_, out, reason) => {
      expectFailure(cli('export', '--study-name', 's', '--format', 'csv', '--out', out, ...STORAGE), 1, new RegExp(`^tunable: ERR_IO: Cannot write \`--out\` file ".*": ${reason}`));
    });
  });

  describe('strict numbers', () => {
    it.each(['0x10', '0b1', '0o7', '', ' 3 ', '3 ', 'Infinity', '-Infinity', 'NaN', '1e999', '1_000', '1,5', '--1'])(
      'tell --values %j is refused before the storage is opened',
      (v) => {
        // The study does not exist: a value that got past parsing would report ERR_NOT_FOUND instead.
        const r = cli('tell', '--study-name', 'missing', '--trial-number', '0', `--values=${v}`, ...STORAGE);
        expectFailure(r, 2, `Expected a finite decimal number for \`--values\` but received ${JSON.stringify(v)}`);
      },
    );

    it.each([
      ['demo', '--n-trials', '0x2', 'an integer in [1, 9007199254740991]'],
      ['demo', '--n-trials', '1.5', 'an integer in [1, 9007199254740991]'],
      ['demo', '--n-trials', '1e2', 'an integer in [1, 9007199254740991]'],
      ['demo', '--n-trials', '0', 'an integer in [1, 9007199254740991]'],
      ['demo', '--n-trials', '', 'an integer in [1, 9007199254740991]'],
      ['demo', '--seed', '0x1', 'an integer in [0, 9007199254740991]'],
      ['demo', '--seed', '-1', 'an integer in [0, 9007199254740991]'],
      ['demo', '--seed', '9007199254740993', 'an integer in [0, 9007199254740991]'],
      ['ask', '--seed', 'Infinity', 'an integer in [0, 9007199254740991]'],
      ['tell', '--trial-number', '0x0', 'an integer in [0, 9007199254740991]'],
      ['tell', '--trial-number', '-1', 'an integer in [0, 9007199254740991]'],
      ['tell', '--trial-number', ' 0', 'an integer in [0, 9007199254740991]'],
      ['tell', '--trial-number', 'zero', 'an integer in [0, 9007199254740991]'],
    ])('%s %s %j is refused with the flag and the value', (command, flag, v, what) => {
      const extra = command === 'tell' ? ['--values', '1'] : [];
      // A storage of its own: a value that got through would run the demo and leave a study behind.
      const r = cli(command, '--study-name', 'missing', `${flag}=${v}`, ...extra, '--storage', 'sqlite:numbers.db');
      expectFailure(r, 2, `Expected ${what} for \`${flag}\` but received ${JSON.stringify(v)}`);
    });

    it('accepts negative and scientific values, with or without `=`', () => {
      cli('create-study', '--study-name', 'neg', '--directions', 'minimize', 'maximize', ...STORAGE);
      const space = '{"x": {"type": "float", "low": -1, "high": 1}}';
      for (const values of [['--values', '-1.5', '-2e-3'], ['--values=-0.5', '--values', '+7E2']]) {
        const asked = cli('ask', '--study-name', 'neg', '--search-space', space, ...STORAGE);
        expect(asked.code, asked.stderr).toBe(0);
        const { number } = JSON.parse(asked.stdout) as { number: number };
        const told = cli('tell', '--study-name', 'neg', '--trial-number', String(number), ...values, ...STORAGE);
        expect(told.code, told.stderr).toBe(0);
      }
      const trials = JSON.parse(cli('trials', '--study-name', 'neg', '--format', 'json', ...STORAGE).stdout) as { values_0: number; values_1: number }[];
      expect(trials.map((t) => [t.values_0, t.values_1])).toEqual([[-1.5, -0.002], [-0.5, 700]]);
    });

    it('tell with the wrong number of values is refused and leaves the trial running', () => {
      cli('create-study', '--study-name', 'count', ...STORAGE);
      const asked = JSON.parse(cli('ask', '--study-name', 'count', ...STORAGE).stdout) as { number: number };
      const tell = (...values: string[]) => cli('tell', '--study-name', 'count', '--trial-number', String(asked.number), '--values', ...values, ...STORAGE);
      expectFailure(tell('1', '2'), 2, 'Expected 1 value for `--values` (the study has 1 objective) but received 2');
      const told = tell('1');
      expect(told.code, told.stderr).toBe(0);
      expect(JSON.parse(told.stdout)).toMatchObject({ state: 'COMPLETE', values: [1] });
    });
  });

  describe('enum-valued flags', () => {
    it.each([
      [['trials', '--study-name', 's', '--format', 'yaml'], '"table", "json"', '--format', 'yaml'],
      [['export', '--study-name', 's', '--format', 'xml'], '"csv", "json"', '--format', 'xml'],
      [['tell', '--study-name', 's', '--trial-number', '0', '--state', 'DONE'], '"PRUNED", "FAIL"', '--state', 'DONE'],
      [['create-study', '--study-name', 'e', '--direction', 'up'], '"minimize", "maximize"', '--direction', 'up'],
      [['create-study', '--study-name', 'e', '--directions', 'minimize', 'down'], '"minimize", "maximize"', '--directions', 'down'],
      [['ask', '--study-name', 's', '--sampler', 'bayes'], '"default", "gp"', '--sampler', 'bayes'],
      [['demo', '--sampler', 'bayes'], '"default", "gp"', '--sampler', 'bayes'],
    ])('%j is refused, listing the allowed values', (args, allowed, flag, v) => {
      expectFailure(cli(...args, ...STORAGE), 2, new RegExp(`Expected one of ${allowed}.* for \`${flag}\` but received "${v}"`));
    });
  });

  describe('names with a lone surrogate', () => {
    it('a parameter name from --search-space JSON is refused in one line', () => {
      const r = cli('ask', '--study-name', 's', '--search-space', '{"\\ud800": {"type": "float", "low": 0, "high": 1}}', ...STORAGE);
      expectFailure(r, 2, 'lone surrogate');
    });

    it('a study name is refused in one line (argv from a shell cannot carry one, so in-process)', async () => {
      const { main } = await import('../../src/cli/cli.js');
      for (const command of ['create-study', 'trials', 'ask', 'delete-study']) {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main([command, '--study-name', 'a\uD800', '--storage', 'memory:'], { out: (s) => out.push(s), err: (s) => err.push(s), env: {} });
        expect(code).toBe(2);
        expect(out).toEqual([]);
        expect(err).toHaveLength(1);
        expect(err[0]).toMatch(/^tunable: ERR_INVALID_ARGUMENT: .*lone surrogate/);
        expect(err[0]).not.toMatch(/\n/);
      }
    });
  });

  describe('usage errors', () => {
    it.each([
      [['studies', '--stroage', 'x'], 'Unknown option `--stroage` in `tunable studies` (did you mean `--storage`?)'],
      [['studies', '--n-trials', '3'], 'Unknown option `--n-trials` in `tunable studies`'],
      [['trials', '--study-name', 's', '--out', 'x'], 'Unknown option `--out` in `tunable trials`'],
      [['trials', '--study-name'], 'Missing value for `--study-name`'],
      [['trials', '--study-name', '--storage', 'sqlite:x.db'], 'Missing value for `--study-name`'],
      [['trials', '--study-name', ''], 'Expected a non-empty string for `--study-name` but received ""'],
      [['trials'], 'Missing `--study-name`'],
      [['export', '--study-name', 's'], 'Missing `--format`'],
      [['tell', '--study-name', 's', '--values', '1'], 'Missing `--trial-number`'],
      [['tell', '--study-name', 's', '--trial-number', '0'], 'Pass `--values` or `--state`'],
      [['tell', '--study-name', 's', '--trial-number', '0', '--values', '1', '--state', 'FAIL'], 'Pass either `--values` or `--state`, not both'],
      [['studies', 'extra'], 'Unexpected argument "extra" for `tunable studies`'],
      [['trials', '--study-name', 'a', '--study-name', 'b'], '`--study-name` was given more than once'],
      [['create-study', '--study-name', 'x', '--skip-if-exists=no'], '`--skip-if-exists` takes no value'],
      [['studies', '--storage', ''], 'Expected a non-empty string for `--storage` but received ""'],
      [['studies', '--storage', 'bogus:x'], 'bogus:x'],
      [['frobnicate'], 'Unknown command "frobnicate"'],
      [['--frobnicate'], 'Unknown command "--frobnicate"'],
    ])('%j is refused in one line with exit code 2', (args, text) => {
      expectFailure(cli(...args), 2, text);
    });

    it('no command prints the usage on stderr and exits 2', () => {
      const r = cli();
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Usage: tunable <command>');
    });

    it('--help documents the exit codes', () => {
      for (const r of [cli('--help'), cli('trials', '--help')]) {
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/Exit status:\n\s+0 .*\n\s+1 .*\n\s+2 /);
      }
    });

    it('--version prints the package version', () => {
      const r = cli('--version');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(VERSION);
    });
  });

  describe('failed operations exit 1 in one line', () => {
    it.each([
      [['trials', '--study-name', 'missing', ...STORAGE], 'ERR_NOT_FOUND'],
      [['delete-study', '--study-name', 'missing', ...STORAGE], 'ERR_NOT_FOUND'],
      [['best', '--study-name', 's', ...STORAGE], 'ERR_INVALID_STATE'],
      [['tell', '--study-name', 's', '--trial-number', '99', '--values', '1', ...STORAGE], 'ERR_NOT_FOUND'],
      [['create-study', '--study-name', 'x', '--storage', 'sqlite:/nonexistent/dir/a.db'], 'ERR_STORAGE'],
      [['studies', '--storage', 'sqlite:not-a-db.txt'], 'ERR_STORAGE'],
      [['studies', '--storage', 'sqlite:a-directory'], 'ERR_STORAGE'],
    ])('%j', (args, code) => {
      expectFailure(cli(...args), 1, `tunable: ${code}: `);
    });

    it('writes no stack when stdout is closed early (| head)', async () => {
      const study = await createStudy({ studyName: 'big', storage: `sqlite:${join(dir, 'big.db')}` });
      const trial = await study.ask();
      trial.setUserAttr('blob', 'x'.repeat(400_000));
      await study.tell(trial, 1);
      await study.storage.close();
      const child = spawn(process.execPath, cliArgs('export', '--study-name', 'big', '--format', 'json', '--storage', 'sqlite:big.db'), { cwd: dir });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
    });
  });

  describe('a database that does not exist is reported, never created', () => {
    it('studies: says so and exits 0', () => {
      const r = cli('studies', '--storage', 'sqlite:missing.db');
      expect(r).toEqual({ code: 0, stdout: 'No studies: "missing.db" does not exist (`--storage` picks another database)\n', stderr: '' });
      expect(existsSync(join(dir, 'missing.db'))).toBe(false);
    });
    it('studies with the default storage and no ./tunable.db', () => {
      const empty = tempDir('tunable-cli-nodb-');
      const r = spawnSync(process.execPath, cliArgs('studies'), { cwd: empty, encoding: 'utf8' });
      expect(r.stdout).toContain('No studies: "./tunable.db" does not exist');
      expect(existsSync(join(empty, 'tunable.db'))).toBe(false);
    });
    it.each([
      [['trials', '--study-name', 's']],
      [['best', '--study-name', 's']],
      [['export', '--study-name', 's', '--format', 'csv']],
      [['delete-study', '--study-name', 's']],
      [['ask', '--study-name', 's']],
      [['tell', '--study-name', 's', '--trial-number', '0', '--values', '1']],
    ])('%j: ERR_NOT_FOUND, exit 1, no file left behind', (args) => {
      expectFailure(cli(...args, '--storage', 'sqlite:typo.db'), 1, 'tunable: ERR_NOT_FOUND: No tunable database at "typo.db"');
      expect(existsSync(join(dir, 'typo.db'))).toBe(false);
    });
  });
});
