/** The log: one line per finished trial at `info` (the default), none above it; TUNABLE_LOG and setLogLevel. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStudy, getLogLevel, RandomSampler, setLogLevel, TrialPruned, TunableError } from '../../src/index.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** What `f` writes to stderr. */
async function stderrOf(f: () => Promise<unknown>): Promise<string> {
  let text = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    await f();
  } finally {
    spy.mockRestore();
  }
  return text;
}

describe('log lines of the optimize loop', () => {
  afterEach(() => setLogLevel('warning'));

  it('at info: one line per finished trial with its value, parameters and the best so far; pruned and failed say so', async () => {
    setLogLevel('info');
    const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    let i = 0;
    const out = await stderrOf(() =>
      study.optimize((t) => {
        const x = t.suggestInt('x', 0, 9);
        i++;
        if (i === 2) throw new TrialPruned();
        if (i === 3) throw new Error('diverged\nstack line');
        return x;
      }, { nTrials: 4, catch: [Error] }),
    );
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(l).toMatch(/^\[tunable I \d{4}-\d\d-\d\dT[\d:.]+Z\] Trial \d /);
    const x = (n: number) => JSON.stringify(study.trials[n]!.params);
    expect(lines[0]).toContain(`Trial 0 finished with value ${study.trials[0]!.values![0]} and parameters ${x(0)}. Best is trial 0 with value`);
    expect(lines[1]).toContain(`Trial 1 pruned; parameters ${x(1)}.`);
    expect(lines[2]).toMatch(/Trial 2 failed: Error: diverged; parameters/);
    expect(lines[3]).toContain(`Best is trial ${study.bestTrial.number} with value ${study.bestValue}.`);
  });

  it('above info: nothing; a bad level is a typed error', async () => {
    setLogLevel('warning');
    const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    expect(await stderrOf(() => study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 3 }))).toBe('');
    expect(() => setLogLevel('verbose' as never)).toThrow(TunableError);
    expect(() => setLogLevel('verbose' as never)).toThrow(/Expected one of "debug", "info", "warning", "error", "silent" for `level` but received "verbose"/);
    expect(getLogLevel()).toBe('warning');
  });

  it.each([
    ['', 3],  // unset: the default, info
    ['silent', 0],
    ['error', 0],
    ['INFO', 3],
  ])('TUNABLE_LOG=%j in a fresh process: %i lines', (env, expected) => {
    const code = `import { createStudy, RandomSampler } from './src/index.ts';
      const s = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
      await s.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 3 });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TUNABLE_LOG: env } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('[tunable I')).length).toBe(expected);
  });
});

describe('exportTrials', () => {
  it('csv and json are strings, rows are rows', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 2 });
    const csv: string = await study.exportTrials('csv');  // typed as string: no cast needed
    expect(csv.split('\n')[0]).toContain('params_x');
    const rows: Record<string, unknown>[] = await study.exportTrials('rows');
    expect(rows).toHaveLength(2);
  });
});
