/**
 * TensorFlow.js is an optional peer dependency. Child processes (module loading is per process) check:
 * the main entry loads no tfjs; without tfjs installed tunable/tfjs still imports and every call that
 * needs it throws BackendUnavailableError with the install command; and with a user's own, separate copy
 * of tfjs, every helper uses that copy and never loads another (no "already registered" warnings; a
 * callback from another copy is named as such instead of failing inside fit()).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const MODULES = join(ROOT, 'node_modules');

/** node_modules for `dir`: links to every installed package but @tensorflow, which `withTf` copies. */
function installModules(dir: string, withTf: boolean): void {
  const nm = join(dir, 'node_modules');
  mkdirSync(nm, { recursive: true });
  for (const entry of readdirSync(MODULES)) {
    if (entry !== '@tensorflow' && !entry.startsWith('.')) symlinkSync(join(MODULES, entry), join(nm, entry), 'dir');
  }
  if (!withTf) return;
  // Only package.json and the Node entry of each package (about 7 MB): other files than the repository's,
  // so Node loads them as a copy of their own, as it would another project's or another version's.
  for (const pkg of readdirSync(join(MODULES, '@tensorflow'))) {
    const manifest = JSON.parse(readFileSync(join(MODULES, '@tensorflow', pkg, 'package.json'), 'utf8')) as { main: string };
    const to = join(nm, '@tensorflow', pkg);
    mkdirSync(dirname(join(to, manifest.main)), { recursive: true });
    copyFileSync(join(MODULES, '@tensorflow', pkg, 'package.json'), join(to, 'package.json'));
    copyFileSync(join(MODULES, '@tensorflow', pkg, manifest.main), join(to, manifest.main));
  }
}

function run(worker: string, args: string[], cwd: string): Record<string, any> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['TUNABLE_TFJS_BACKEND'];
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(FIXTURES, worker), ...args], { cwd, env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, any>;
}

const INSTALL = 'npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm (or npm install @tensorflow/tfjs-node';

describe('TensorFlow.js as an optional peer dependency', () => {
  it('importing the main entry (and tunable/tfjs) loads no tfjs; the first helper call does', () => {
    const r = run('main-entry-worker.ts', [ROOT], ROOT);
    expect(r['main']).toEqual({ files: 0, engine: false });
    expect(r['tfjsEntry']).toEqual({ files: 0, engine: false });
    // The positive control: the check does see tfjs once it is loaded.
    expect(r['afterCall'].files).toBeGreaterThan(0);
    expect(r['afterCall'].engine).toBe(true);
  });

  it('without tfjs installed, tunable/tfjs imports and each call throws BackendUnavailableError with the install command', () => {
    const root = tempDir('tunable-no-tfjs-');
    cpSync(join(ROOT, 'src'), join(root, 'src'), { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'tunable', type: 'module' }));
    installModules(root, false);
    const r = run('no-tfjs-worker.ts', [root], root);
    expect(r['mainEntry']).toBe(true);
    expect(r['loadTf']).toMatchObject({ name: 'BackendUnavailableError', code: 'ERR_BACKEND_UNAVAILABLE' });
    expect(r['loadTf'].message).toMatch(/^No TensorFlow\.js backend could be loaded; tried tfjs-node-gpu \(not installed\), .*cpu \(not installed\)\. @tensorflow\/tfjs is not installed/);
    expect(r['loadTf'].message).toContain(INSTALL);
    for (const call of ['pruningCallback', 'toSplit', 'buildMlp', 'SeededDropout']) {
      expect(r[call], call).toMatchObject({ name: 'BackendUnavailableError', code: 'ERR_BACKEND_UNAVAILABLE' });
      expect(r[call].message).toBe(
        `${call} needs TensorFlow.js, but "@tensorflow/tfjs" cannot be found from ${root} or from tunable; install it in your project: ` +
          `${INSTALL} for libtensorflow), or pass your instance: useTf(tf), loadTf({ tf })`,
      );
    }
  });

  it('with the user’s own copy of tfjs, every helper uses that copy and no second one is loaded', () => {
    const project = tempDir('tunable-user-tfjs-');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', type: 'module' }));
    installModules(project, true);
    const r = run('user-copy-worker.ts', [ROOT, project], project);
    expect(r['userCopyPath'].startsWith(project)).toBe(true);
    const trained = { isUserCallback: true, epochsRun: 3, state: 'COMPLETE', steps: [0, 1, 2] };
    expect(r['implicit']).toEqual(trained); // resolved from the project, not from tunable's location
    expect(r['passed']).toEqual(trained);
    expect(r['loadTfIdentity']).toBe(true);
    expect(r['useTfIdentity']).toBe(true);
    expect(r['splitIsUserTensor']).toBe(true);
    expect(r['alreadyRegistered']).toBe(0);
    expect(r['repoCopyIsAnother']).toBe(true);
    expect(r['mismatch']).toMatchObject({ name: 'InvalidArgumentError', code: 'ERR_INVALID_ARGUMENT' });
    expect(r['mismatch'].message).toMatch(/^pruningCallback was created with a different copy of TensorFlow\.js than the model being fitted/);
  });
});
