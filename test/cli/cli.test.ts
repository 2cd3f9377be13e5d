import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, runCli as cli } from '../helpers.js';

describe('tunable CLI', () => {
  const dir = tempDir();

  it('runs the demo on the default SQLite storage and prints the best trial', () => {
    const r = cli(dir, 'demo', '--n-trials', '15', '--seed', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Study "demo" on sqlite:\.\/tunable\.db with GPSampler: 15 trials/);
    expect(r.stdout).toMatch(/Best trial #\d+: validation log-loss \d\.\d{5}/);
    const studies = cli(dir, 'studies');
    expect(studies.stdout).toMatch(/^demo\s+minimize\s+15\s/m);
  });

  it('create-study, ask, tell, best, trials, export, delete-study as a shell pipeline would', () => {
    const s = ['--storage', 'sqlite:pipe.db'];
    expect(cli(dir, 'create-study', '--study-name', 'p', '--direction', 'maximize', ...s).code).toBe(0);
    expect(cli(dir, 'create-study', '--study-name', 'p', ...s).stderr).toMatch(/ERR_DUPLICATED_STUDY: A study named "p" already exists/);
    expect(cli(dir, 'create-study', '--study-name', 'p', '--skip-if-exists', ...s).code).toBe(0);
    const space = JSON.stringify({ x: { type: 'float', low: 0, high: 2 }, c: { type: 'categorical', choices: ['a', 'b'] } });
    const asked = cli(dir, 'ask', '--study-name', 'p', '--search-space', space, '--seed', '3', ...s);
    expect(asked.code, asked.stderr).toBe(0);
    const { number, params } = JSON.parse(asked.stdout) as { number: number; params: { x: number; c: string } };
    expect(number).toBe(0);
    expect(params.x).toBeGreaterThanOrEqual(0);
    expect(['a', 'b']).toContain(params.c);
    const told = cli(dir, 'tell', '--study-name', 'p', '--trial-number', '0', '--values', String(params.x * 3), ...s);
    expect(told.code, told.stderr).toBe(0);
    expect(JSON.parse(told.stdout)).toEqual({ number: 0, state: 'COMPLETE', values: [params.x * 3] });
    const second = JSON.parse(cli(dir, 'ask', '--study-name', 'p', '--search-space', space, ...s).stdout) as { number: number };
    expect(cli(dir, 'tell', '--study-name', 'p', '--trial-number', String(second.number), '--state', 'PRUNED', ...s).code).toBe(0);
    const best = JSON.parse(cli(dir, 'best', '--study-name', 'p', ...s).stdout) as { number: number; values: number[] };
    expect(best).toMatchObject({ number: 0, values: [params.x * 3] });
    expect(cli(dir, 'trials', '--study-name', 'p', ...s).stdout).toMatch(/^1\s+PRUNED/m);
    expect(cli(dir, 'export', '--study-name', 'p', '--format', 'csv', '--out', 'p.csv', ...s).code).toBe(0);
    const csv = readFileSync(join(dir, 'p.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^number,state,value,/);
    expect(csv).toHaveLength(3);
    const json = JSON.parse(cli(dir, 'export', '--study-name', 'p', '--format', 'json', ...s).stdout) as unknown[];
    expect(json).toHaveLength(2);
    expect(cli(dir, 'delete-study', '--study-name', 'p', ...s).code).toBe(0);
    expect(cli(dir, 'best', '--study-name', 'p', ...s).stderr).toMatch(/ERR_NOT_FOUND/);
  });

  it('rejects bad input with a typed message and exit code 2, storing nothing', () => {
    const s = ['--storage', 'sqlite:bad.db'];
    cli(dir, 'create-study', '--study-name', 'b', ...s);
    const r = cli(dir, 'ask', '--study-name', 'b', '--search-space', '{"x": {"type": "float", "low": 3, "high": 1}}', ...s);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tunable: ERR_INVALID_ARGUMENT: --search-space.x: Expected `low` <= `high` but received low=3, high=1');
    const t = cli(dir, 'tell', '--study-name', 'b', '--trial-number', 'zero', '--values', '1', ...s);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('Expected an integer in [0, 9007199254740991] for `--trial-number` but received "zero"');
    expect(cli(dir, 'frobnicate').stderr).toContain('Unknown command "frobnicate"');
    expect(cli(dir, 'studies', '--stroage', 'x').code).toBe(2);
  });
});
