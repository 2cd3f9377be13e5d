import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStudy, loadStudy, MedianPruner, SuccessiveHalvingPruner, TrialState } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { reportAndCheck } from './helpers.js';

const REPORTER = join(import.meta.dirname, 'fixtures', 'reporter.ts');

describe('intermediate values and rung records are shared through SQLite', () => {
  it('two Study objects on one file: a pruner in one sees values reported through the other', async () => {
    const url = `sqlite:${join(tempDir(), 'two.db')}`;
    const writer = await createStudy({ storage: url, studyName: 'two', pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 }) });
    const reader = await loadStudy({ studyName: 'two', storage: url, pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 }) });
    const median = await loadStudy({ studyName: 'two', storage: url, pruner: new MedianPruner() });
    for (let i = 0; i < 5; i++) {
      const t = await writer.ask();
      for (let step = 0; step < 5; step++) t.report(i, step);
      await writer.tell(t, i);
    }
    expect(await reportAndCheck(await median.ask(), 3, 0)).toBe(true); // median of the writer's [0..4] is 2
    const w = await writer.ask();
    expect(await reportAndCheck(w, 0, 1)).toBe(false); // records completed_rung_0 = 0
    // Alone, 1 would be promoted; against the writer's running trial's record 0 it is pruned.
    expect(await reportAndCheck(await reader.ask(), 1, 1)).toBe(true);
    await Promise.all([writer.storage.close(), reader.storage.close(), median.storage.close()]);
  });

  it('a child process (node --import tsx) reports; a pruner in this process decides from it', async () => {
    const url = `sqlite:${join(tempDir(), 'child.db')}`;
    const child = spawn(process.execPath, ['--import', 'tsx', REPORTER, url, 'child'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (/ready \d+ (true|false)\n/.test(out)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', () => reject(new Error(`reporter exited early:\n${out}`)));
    });
    try {
      expect(out).toContain('ready 5 false'); // the child's trial 5 was promoted at rung 0
      const median = await loadStudy({ studyName: 'child', storage: url, pruner: new MedianPruner() });
      const sha = await loadStudy({ studyName: 'child', storage: url, pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 }) });
      const childTrial = (await median.getTrials()).find((t) => t.number === 5)!;
      expect(childTrial.state).toBe(TrialState.RUNNING);
      expect([...childTrial.intermediateValues]).toEqual([[0, 0], [1, 0]]);
      expect(childTrial.systemAttrs['completed_rung_0']).toBe(0);
      expect(await reportAndCheck(await median.ask(), 3, 0)).toBe(true);
      expect(await reportAndCheck(await median.ask(), 1, 0)).toBe(false);
      expect(await reportAndCheck(await sha.ask(), 1, 1)).toBe(true); // against the child's running record 0
      await Promise.all([median.storage.close(), sha.storage.close()]);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});
