/**
 * Without a native build (README): the addon loader finds nothing to load, createStudy picks the
 * TPESampler for a single-objective study, and it still optimises. A child process runs a copy of src/
 * under a package root that has no build/ directory, which is what an install whose native build failed
 * (or never ran) looks like to src/native/binding.ts.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const WORKER = join(import.meta.dirname, 'fixtures', 'no-native-worker.ts');
const root = tempDir('tunable-no-native-');

interface Report {
  backends: string[];
  gpError: { name: string; code: string; message: string } | null;
  single: { sampler: string; states: string[] };
  multi: string;
  seeded: { sampler: string; default: number; random: number }[];
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

describe('default sampler without a native build', () => {
  it('is the TPESampler, and it still optimises (clearly better than random search)', () => {
    cpSync(join(ROOT, 'src'), join(root, 'src'), { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'tunable', type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['TUNABLE_NATIVE_ADDON']; // an explicit addon path would be tried first
    const r = spawnSync(process.execPath, ['--import', 'tsx', WORKER, root], { cwd: ROOT, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Report;

    expect(report.backends).toEqual([]);
    expect(report.gpError).toMatchObject({ name: 'BackendUnavailableError', code: 'ERR_BACKEND_UNAVAILABLE' });
    expect(report.gpError!.message).toContain(join(root, 'build', 'cmake', 'Release', 'tunable.node'));
    expect(report.single.sampler).toBe('TPESampler');
    expect(report.single.states).toEqual(new Array(20).fill('COMPLETE'));
    expect(report.multi).toBe('TPESampler');
    expect(report.seeded.map((s) => s.sampler)).toEqual(new Array(5).fill('TPESampler'));
    // As in tpe.test.ts: TPE's median best over 5 seeds at 60 trials is well below random search's.
    expect(median(report.seeded.map((s) => s.default))).toBeLessThan(median(report.seeded.map((s) => s.random)) / 4);
  });
});
