/** `tunable plot` end to end on a SQLite study, as a user runs it. */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir, cliArgs } from '../helpers.js';
import { sqliteStudy } from './study.js';

// Asynchronous: a chain of synchronous spawns would block the test worker's event loop for tens of seconds.
function cli(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, cliArgs(...args), { cwd, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('tunable plot', async () => {
  const dir = tempDir();
  const s = ['--storage', 'sqlite:plots.db'];
  beforeAll(async () => {
    for (const [name, directions] of [['single', ['minimize']], ['multi', ['minimize', 'maximize']]] as const) {
      const study = await sqliteStudy(`sqlite:${join(dir, 'plots.db')}`, name, 20, [...directions]);
      await study.storage.close();
    }
  });

  it('writes SVG, PNG and HTML files of every kind', async () => {
    const runs: [string, string[], string][] = [
      ['history', ['--log'], 'history.svg'],
      ['contour', ['--params', 'lr,x', '--width', '500', '--height', '300'], 'contour.png'],
      ['slice', ['--param', 'opt'], 'slice.html'],
      ['parallel', ['--params', 'x, lr'], 'parallel.svg'],
      ['intermediate', [], 'intermediate.svg'],
      ['importance', ['--seed', '2'], 'importance.svg'],
    ];
    for (const [kind, extra, out] of runs) {
      const r = await cli(dir, 'plot', kind, '--study-name', 'single', '--out', out, ...extra, ...s);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Wrote ${out.replace('.', '\\.')} \\(${kind}, \\d+ bytes\\)\\n$`));
    }
    expect(readFileSync(join(dir, 'history.svg'), 'utf8')).toMatch(/^<svg[\s\S]*>Best value</);
    const png = readFileSync(join(dir, 'contour.png'));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([500, 300]);
    expect(readFileSync(join(dir, 'slice.html'), 'utf8')).toMatch(/^<!doctype html>/);
    const pareto = await cli(dir, 'plot', 'pareto', '--study-name', 'multi', '--objectives', '1,0', '--out', 'pareto.svg', ...s);
    expect(pareto.code, pareto.stderr).toBe(0);
    expect(readFileSync(join(dir, 'pareto.svg'), 'utf8')).toContain('>Objective 1 (maximize)<');
    const second = await cli(dir, 'plot', 'history', '--study-name', 'multi', '--objective', '1', '--out', 'h1.svg', ...s);
    expect(second.code, second.stderr).toBe(0);
  });

  it('prints its help', async () => {
    const r = await cli(dir, 'plot', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tunable plot KIND --study-name NAME --out FILE/);
    expect((await cli(dir, '--help')).stdout).toMatch(/^ {2}plot {10}KIND --study-name NAME --out FILE\.html\|\.svg\|\.png/m);
  });

  it.each([
    [['histogram', '--study-name', 'single', '--out', 'x.svg'], 'Expected one of "history", "importance", "parallel", "contour", "slice", "intermediate", "pareto" for `KIND` but received "histogram"'],
    [['--study-name', 'single', '--out', 'x.svg'], 'Missing the kind of plot: tunable plot KIND (one of history, importance, parallel, contour, slice, intermediate, pareto) --study-name NAME --out FILE'],
    [['history', '--study-name', 'single'], 'Missing `--out`'],
    [['history', '--study-name', 'single', '--out', 'x.jpg'], 'Expected a file name ending in .html, .svg or .png for `out` but received "x.jpg"'],
    [['contour', '--study-name', 'single', '--out', 'x.svg', '--params', 'lr', '--log'], '`--log` does not apply to `tunable plot contour` (it applies to history)'],
    [['contour', '--study-name', 'single', '--out', 'x.svg', '--params', 'lr'], 'Expected two parameters for `--params` (X,Y) of a contour but received "lr"'],
    [['slice', '--study-name', 'single', '--out', 'x.svg'], 'Missing `--param`'],
    [['history', '--study-name', 'single', '--out', 'x.svg', '--width', '10'], 'Expected an integer in [100, 8192] for `--width` but received "10"'],
    [['history', '--study-name', 'single', '--out', 'x.svg', '--objective', '1'], 'Expected an integer in [0, 0] for `--objective` but received "1"'],
    [['slice', '--study-name', 'single', '--out', 'x.svg', '--param', 'lrr'], 'Expected a parameter of study "single" ("lr", "opt", "x") for `param` but received "lrr"'],
    [['pareto', '--study-name', 'single', '--out', 'x.svg'], 'Expected a study with several objectives for a Pareto front but study "single" has 1 (use the history plot)'],
    [['history', '--study-name', 'single', '--out', 'x.svg', '--bogus'], 'Unknown option `--bogus` in `tunable plot`'],
  ])('exits 2 for %j', async (args, message) => {
    const r = await cli(dir, 'plot', ...args, ...s);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'x.svg'))).toBe(false);
  });

  it('exits 1 for a missing database, study or an unwritable file, leaving nothing behind', async () => {
    let r = await cli(dir, 'plot', 'history', '--study-name', 'single', '--out', 'x.svg', '--storage', 'sqlite:missing.db');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tunable: ERR_NOT_FOUND: No tunable database at "missing.db"');
    expect(existsSync(join(dir, 'missing.db'))).toBe(false);
    r = await cli(dir, 'plot', 'history', '--study-name', 'nope', '--out', 'x.svg', ...s);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tunable: ERR_NOT_FOUND: /);
    r = await cli(dir, 'plot', 'history', '--study-name', 'single', '--out', 'no/dir/x.svg', ...s);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tunable: ERR_IO: Cannot write `out` file "no/dir/x.svg": no such directory\n');
    expect(readdirSync(dir).filter((f) => f.includes('x.svg'))).toEqual([]);
  });
});
